import SafeTensors
import SystemPackage

/// Which tensors hold the token embedding, the output head and the head's bias.
public struct TensorRoles: Sendable, Equatable {
  /// The embedding matrix, [vocabulary, dimension].
  public var embedding: TensorInfo
  /// The output head, [vocabulary, dimension], or `nil` when it is tied to the embedding.
  public var head: TensorInfo?
  /// The head's bias, [vocabulary] or [1, vocabulary], when there is one.
  public var headBias: TensorInfo?

  /// Whether the head is tied to the embedding (no head tensor in the checkpoint).
  public var isTied: Bool { head == nil }

  /// Embedding names, checked in this order.
  package static let embeddingNames: [String] = [
    "model.embed_tokens.weight", "transformer.wte.weight", "model.decoder.embed_tokens.weight",
    "shared.weight", "tok_embeddings.weight", "embed_tokens.weight", "embedding.weight",
    "gpt_neox.embed_in.weight", "model.language_model.embed_tokens.weight",
    "language_model.model.embed_tokens.weight",
  ]
  /// An embedding name accepted under any prefix (`bert.`, `roberta.`, ...).
  static let embeddingSuffix = "embeddings.word_embeddings.weight"
  /// Output head names.
  package static let headNames: [String] = [
    "lm_head.weight", "output.weight", "embed_out.weight", "cls.predictions.decoder.weight",
  ]
  /// Head bias names.
  static let headBiasNames: [String] = ["lm_head.bias", "final_logits_bias", "cls.predictions.bias"]

  /// Finds the roles among `tensors`.
  ///
  /// - Parameters:
  ///   - embeddingName: `--embedding`, overriding detection.
  ///   - headName: `--head`, overriding detection (the bias is still looked up by name).
  ///   - configVocabularySize: config.json's `vocab_size`, for the fallback detection.
  ///   - path: the model's path, for messages.
  public static func find(
    in tensors: [TensorInfo], embeddingName: String? = nil, headName: String? = nil,
    configVocabularySize: Int? = nil, path: FilePath
  ) throws(SurgeryError) -> TensorRoles {
    let embedding = try findEmbedding(
      in: tensors, named: embeddingName, configVocabularySize: configVocabularySize, path: path)
    try checkMatrix(embedding, path: path)
    let head = try findHead(in: tensors, named: headName, embedding: embedding, path: path)
    let bias = try findHeadBias(in: tensors, rows: embedding.shape[0], path: path)
    return TensorRoles(embedding: embedding, head: head, headBias: bias)
  }

  /// The tensor called `name` among `tensors`.
  private static func tensor(_ name: String, in tensors: [TensorInfo]) -> TensorInfo? {
    let key = TensorName(name)
    return tensors.first { $0.name == key }
  }

  /// The embedding: `name`, or the one tensor with a known embedding name, or (with none) the one
  /// matrix with config.json's vocabulary size in rows.
  private static func findEmbedding(
    in tensors: [TensorInfo], named name: String?, configVocabularySize: Int?, path: FilePath
  ) throws(SurgeryError) -> TensorInfo {
    if let name {
      guard let found = tensor(name, in: tensors) else { throw .tensorNotFound(path: path, name: name) }
      return found
    }
    var candidates = embeddingNames.compactMap { tensor($0, in: tensors) }
    candidates += tensors.filter {
      let name = $0.name.string
      return name == embeddingSuffix || name.hasSuffix("." + embeddingSuffix)
    }
    if candidates.isEmpty, let rows = configVocabularySize {
      let excluded = Set((headNames + headBiasNames).map { TensorName($0) })
      candidates = tensors.filter {
        $0.shape.count == 2 && $0.shape[0] == rows && !excluded.contains($0.name)
      }
    }
    guard !candidates.isEmpty else {
      throw .embeddingNotFound(path: path, configRows: configVocabularySize)
    }
    guard candidates.count == 1 else {
      throw .ambiguousTensor(path: path, role: .embedding, candidates: candidates.map(\.name.string))
    }
    return candidates[0]
  }

  /// The untied head: `name`, or the one tensor with a known head name other than the embedding
  /// (`nil`: tied), checked against the embedding.
  private static func findHead(
    in tensors: [TensorInfo], named name: String?, embedding: TensorInfo, path: FilePath
  ) throws(SurgeryError) -> TensorInfo? {
    let head: TensorInfo?
    if let name {
      guard let found = tensor(name, in: tensors) else { throw .tensorNotFound(path: path, name: name) }
      head = found
    } else {
      let candidates = headNames.compactMap { tensor($0, in: tensors) }.filter { $0.name != embedding.name }
      if candidates.count > 1 {
        throw .ambiguousTensor(path: path, role: .head, candidates: candidates.map(\.name.string))
      }
      head = candidates.first
    }
    guard let head else { return nil }
    guard head.name != embedding.name else {
      throw .invalidRequest(path: path, reason: "the head and the embedding are the same tensor '\(head.name)'")
    }
    try checkMatrix(head, path: path)
    guard head.shape[0] == embedding.shape[0] else {
      throw .unsupportedTensor(
        path: path, name: head.name.string,
        reason: "has \(head.shape[0]) rows but the embedding '\(embedding.name)' has \(embedding.shape[0])")
    }
    return head
  }

  /// The head bias, by name: `rows` entries (`[rows]` or `[1, rows]`) of a floating-point format.
  private static func findHeadBias(in tensors: [TensorInfo], rows: Int, path: FilePath) throws(SurgeryError)
    -> TensorInfo?
  {
    guard let bias = headBiasNames.compactMap({ tensor($0, in: tensors) }).first else { return nil }
    guard bias.shape == [rows] || bias.shape == [1, rows] else {
      throw .unsupportedTensor(
        path: path, name: bias.name.string,
        reason: "has shape \(bias.shape); a head bias of \(rows) entries was expected")
    }
    _ = try FloatingPointFormat.of(bias, path: path)
    return bias
  }

  private static func checkMatrix(_ tensor: TensorInfo, path: FilePath) throws(SurgeryError) {
    guard tensor.shape.count == 2 else {
      throw .unsupportedTensor(
        path: path, name: tensor.name.string, reason: "has shape \(tensor.shape); a 2-D matrix was expected")
    }
    _ = try FloatingPointFormat.of(tensor, path: path)
  }
}

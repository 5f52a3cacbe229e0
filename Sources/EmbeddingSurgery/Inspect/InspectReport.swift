import SafeTensors
import StrictJSON

/// What `inspect` reports of a model: its files and tensors, its embedding and output head, and
/// how its vocabulary sizes agree.
///
/// JSON (`inspect --json`): `{"schema_version", "files": [{"path", "tensors", "bytes"}],
/// "tensors": [{"name", "dtype", "shape", "file"}], "metadata": {...} or null, "embedding":
/// ``MatrixDescription`` or null, "head": the same or null, "tied", "vocab": {"rows", "config",
/// "tokenizer"}}` (sizes null when unknown; metadata keys sorted by their bytes).
public struct InspectReport: SurgeryReport {
  /// One safetensors file of the checkpoint.
  public struct File: Encodable, Sendable, Equatable {
    /// Its name in the folder (or the path of a bare file).
    public var name: String
    /// How many tensors it holds.
    public var tensorCount: Int
    /// Its size in bytes.
    public var bytes: Int

    enum CodingKeys: String, CodingKey {
      case name = "path"
      case tensorCount = "tensors"
      case bytes
    }
  }

  /// One tensor with the file that holds it.
  public struct Tensor: Encodable, Sendable, Equatable {
    /// The tensor's header entry.
    public var info: TensorInfo
    /// The file holding it (as in ``File/name``).
    public var file: String

    enum CodingKeys: String, CodingKey {
      case name, dtype, shape, file
    }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(info.name.string, forKey: .name)
      try container.encode(info.dtype.rawValue, forKey: .dtype)
      try container.encode(info.dimensions, forKey: .shape)
      try container.encode(file, forKey: .file)
    }
  }

  /// The vocabulary sizes; JSON `{"rows", "config", "tokenizer"}`.
  public struct VocabularySizes: Encodable, Sendable, Equatable {
    /// Rows of the embedding, when one is found.
    public var rows: Int?
    /// config.json's `vocab_size`.
    public var config: Int?
    /// The tokenizer's size.
    public var tokenizer: Int?
  }

  /// The path inspected.
  public let path: String
  /// The files, sorted by name bytes.
  public let files: [File]
  /// Every tensor, sorted by name bytes.
  public let tensors: [Tensor]
  /// The `__metadata__` of the first file.
  public let metadata: [String: String]?
  /// The embedding, when one is found.
  public let embedding: MatrixDescription?
  /// The untied output head, when there is one.
  public let head: MatrixDescription?
  /// Why no embedding is reported (no known name, more than one candidate, an unusable dtype...),
  /// when none is.
  public let embeddingProblem: SurgeryError?
  /// config.json's vocabulary size, when present.
  public let configVocabularySize: Int?
  /// The tokenizer's size (largest id + 1), when there is a tokenizer.json.
  public let tokenizerSize: Int?

  /// Whether the head is tied to the embedding (an embedding and no head).
  public var tied: Bool { embedding != nil && head == nil }

  /// Inspects `model`. A checkpoint whose embedding cannot be told still lists its tensors.
  ///
  /// - Throws: ``SurgeryError`` when a file of the checkpoint cannot be read.
  /// - Complexity: O(*t* log *t*) in the number of tensors; headers only.
  public init(model: ModelCheckpoint) throws(SurgeryError) {
    path = model.path.string
    let checkpoint = model.checkpoint
    let display: (String) -> String = { checkpoint.isFolder ? $0 : checkpoint.path.string }
    let listed: [(info: TensorInfo, fileName: String)]
    var files: [File] = []
    var metadata: [String: String]?
    do {
      listed = try checkpoint.tensors()
      for name in checkpoint.fileNames {
        let file = try checkpoint.file(named: name)
        files.append(File(name: display(name), tensorCount: file.header.tensors.count, bytes: file.size))
        if metadata == nil { metadata = file.header.metadata }
      }
    } catch {
      throw .safeTensors(error)
    }
    self.files = files
    self.metadata = metadata
    tensors = listed.map { Tensor(info: $0.info, file: display($0.fileName)) }
    // The same detection as every surgery; when it fails, the tensors are still listed.
    do {
      let roles = try TensorRoles.find(
        in: listed.map(\.info), configVocabularySize: model.configVocabularySize, path: model.path)
      embedding = MatrixDescription(roles.embedding)
      head = roles.head.map(MatrixDescription.init)
      embeddingProblem = nil
    } catch {
      switch error {
      case .embeddingNotFound, .ambiguousTensor, .unsupportedTensor, .invalidRequest:
        embedding = nil
        head = nil
        embeddingProblem = error
      default:
        throw error
      }
    }
    configVocabularySize = model.configVocabularySize
    tokenizerSize = model.vocabulary?.size
  }
}

extension InspectReport {
  enum CodingKeys: String, CodingKey {
    case files, tensors, metadata, embedding, head, tied, vocab
  }

  /// The vocabulary sizes side by side.
  public var vocabularySizes: VocabularySizes {
    VocabularySizes(rows: embedding?.rows, config: configVocabularySize, tokenizer: tokenizerSize)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(files, forKey: .files)
    try container.encode(tensors, forKey: .tensors)
    if let metadata {
      var members = container.nestedContainer(keyedBy: JSONCodingKey.self, forKey: .metadata)
      for key in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
        try members.encode(metadata[key] ?? "", forKey: JSONCodingKey(stringValue: key))
      }
    } else {
      try container.encodeNil(forKey: .metadata)
    }
    try container.encodeIfPresent(embedding, forKey: .embedding)
    try container.encodeIfPresent(head, forKey: .head)
    try container.encode(tied, forKey: .tied)
    try container.encode(vocabularySizes, forKey: .vocab)
  }
}

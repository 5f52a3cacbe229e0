import StrictJSON
import SystemPackage

extension VocabularyExtension {
  /// Whether a tokenizer.json writes its merges as `"a b"` strings (`false` for `["a", "b"]`
  /// pairs, and for an empty list, which `tokenizers` 0.20 and later write as pairs).
  public static func writesMergesAsStrings(_ json: JSONValue) -> Bool {
    if case .string? = json["model"]?["merges"]?.elements?.first { return true }
    return false
  }

  /// The extended tokenizer.json: the new tokens appended to `model.vocab` with their ids (after
  /// the added tokens that `model.vocab` lacks, with their ids, so that `tokenizers` keeps them), the
  /// new merges appended to `model.merges` in the file's own format (strings or pairs), in rank
  /// order. Every other byte of the file stays.
  ///
  /// - Throws: ``TokenizationError/malformed(path:what:)`` when the file has no `model.vocab`
  ///   object or `model.merges` array.
  /// - Complexity: O(*n*) in the size of the file and the new merges.
  public func rewriteTokenizerJSON(_ bytes: [UInt8], json: JSONValue, path: FilePath) throws(TokenizationError)
    -> [UInt8]
  {
    var document = JSONDocument(validBytes: bytes)
    // HF `tokenizers` gives an added token that is not in the model's vocabulary the id
    // `len(model.vocab)` (or the last added id + 1) when it loads the file, whatever id the file
    // says: with new tokens in the vocabulary, Llama-3's special tokens would move. In the
    // vocabulary too, with their own ids, they keep them (they are matched before the model, so
    // encoding does not change).
    var members: [JSONMember] = []
    if !newTexts.isEmpty {
      let vocabulary = tokenizer.vocabulary
      var seen = Set<Int>()
      for token in vocabulary.addedTokens.sorted(by: { $0.id < $1.id })
      where vocabulary.modelVocabulary[TokenKey(token.content)] == nil && seen.insert(token.id).inserted {
        members.append(JSONMember(token.content, .number(JSONNumber(token.id))))
      }
    }
    members += newTokens.map { JSONMember($0.text, .number(JSONNumber($0.id))) }
    if !members.isEmpty, !document.append(members: members, toObjectAt: ["model", "vocab"]) {
      throw .malformed(path: path, what: "model.vocab must be an object for a BPE model")
    }
    let asStrings = Self.writesMergesAsStrings(json)
    let values: [JSONValue] = writtenMerges.map { merge in
      asStrings
        ? .string(merge.left.text + " " + merge.right.text)
        : .array([.string(merge.left.text), .string(merge.right.text)])
    }
    if !values.isEmpty, !document.append(values, toArrayAt: ["model", "merges"]) {
      throw .malformed(path: path, what: "model.merges must be an array")
    }
    return document.bytes
  }

  /// `count` scores strictly below every score of `scores` and strictly falling: the whole numbers
  /// from one below the lowest score down, or, where a `Float` cannot tell them apart (Mistral's
  /// tokenizer.model has a piece scored −1e9, where consecutive floats are 64 apart), the next
  /// float down.
  package static func newPieceScores(below scores: [Float], count: Int) -> [Float] {
    var result: [Float] = []
    result.reserveCapacity(count)
    let lowest = scores.min() ?? 0
    var previous = lowest
    for index in 0..<count {
      let wanted = lowest.rounded(.down) - 1 - Float(index)
      previous = wanted < previous ? wanted : previous.nextDown
      result.append(previous)
    }
    return result
  }

  /// The extended SentencePiece model: the new tokens appended as normal pieces after the last
  /// piece, in id order, with scores below every existing score and falling in the same order
  /// (so that `sentencepiece` merges them last, as the tokenizer.json's merges rank them), and
  /// the trainer spec's `vocab_size` set to the new number of pieces, and the self-test samples'
  /// expected pieces set to the extended encoding (`sentencepiece` checks them on loading); every
  /// other field and byte as it was.
  ///
  /// - Throws: ``TokenizationError/malformed(path:what:)`` when the model is not a BPE model or
  ///   its pieces do not end where the new ids start (they would not get the same ids as in the
  ///   tokenizer.json).
  /// - Complexity: O(*n*) in the size of the file.
  public func rewriteSentencePieceModel(_ model: SentencePieceModel) throws(TokenizationError) -> [UInt8] {
    try checkCanExtend(model)
    let bytes = model.bytes
    let newPieces = encodedNewPieces(scoredBelow: model.pieces.map(\.score))
    let lastPiece = model.fields.lastIndex { $0.number == 1 && $0.wireType == .lengthDelimited }
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count + newPieces.count)
    for (index, field) in model.fields.enumerated() {
      if field.number == 2, field.wireType == .lengthDelimited {
        ProtobufWire.appendLengthDelimited(2, try rewriteTrainerSpec(of: model, in: field.payload), to: &output)
      } else if field.number == 4, field.wireType == .lengthDelimited {
        ProtobufWire.appendLengthDelimited(4, try rewriteSelfTest(bytes, field.payload, path: model.path), to: &output)
      } else {
        output.append(contentsOf: bytes[field.record])
      }
      if index == lastPiece { output.append(contentsOf: newPieces) }
    }
    if lastPiece == nil { output = newPieces + output }
    return output
  }

  /// Checks that `model` is a BPE model whose pieces end where the new ids start.
  private func checkCanExtend(_ model: SentencePieceModel) throws(TokenizationError) {
    guard model.pieces.count == firstNewID else {
      throw .malformed(
        path: model.path,
        what:
          "has \(model.pieces.count) pieces but the tokenizer.json's ids end at \(firstNewID - 1): the new pieces would not get the tokenizer.json's ids"
      )
    }
    var modelType: UInt64 = 1
    for field in model.fields where field.number == 2 && field.wireType == .lengthDelimited {
      if let spec = try? ProtobufWire.fields(of: model.bytes, in: field.payload) {
        for member in spec where member.number == 3 && member.wireType == .varint { modelType = member.varint }
      }
    }
    guard modelType == 2 else {
      throw .malformed(
        path: model.path, what: "is not a BPE model (trainer_spec.model_type is \(modelType)): extend grows BPE")
    }
  }

  /// The new tokens as `pieces` records (field 1), in id order, scored strictly below `scores`
  /// and strictly falling (``newPieceScores(below:count:)``).
  private func encodedNewPieces(scoredBelow scores: [Float]) -> [UInt8] {
    var newPieces: [UInt8] = []
    for (token, score) in zip(newTokens, Self.newPieceScores(below: scores, count: newTokens.count)) {
      var piece: [UInt8] = []
      ProtobufWire.appendLengthDelimited(1, Array(token.text.utf8), to: &piece)
      // score: float, field 2, fixed32.
      piece.append(2 << 3 | 5)
      let bits = score.bitPattern
      for shift in 0..<4 { piece.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(shift)))) }
      ProtobufWire.appendLengthDelimited(1, piece, to: &newPieces)
    }
    return newPieces
  }

  /// The trainer spec at `payload` of `model` with its vocabulary size (field 4) counting the new
  /// pieces.
  private func rewriteTrainerSpec(of model: SentencePieceModel, in payload: Range<Int>) throws(TokenizationError)
    -> [UInt8]
  {
    let members: [ProtobufWire.Field]
    do throws(ProtobufWire.Problem) {
      members = try ProtobufWire.fields(of: model.bytes, in: payload)
    } catch {
      throw .malformed(path: model.path, what: "trainer_spec is not a protobuf message: \(error.reason)")
    }
    var spec: [UInt8] = []
    for member in members {
      if member.number == 4, member.wireType == .varint {
        ProtobufWire.appendVarintField(4, UInt64(model.pieces.count + newTexts.count), to: &spec)
      } else {
        spec.append(contentsOf: model.bytes[member.record])
      }
    }
    return spec
  }

  /// The self-test data with each sample's expected pieces (field 2) replaced by the extended
  /// tokenizer's pieces of its input (field 1), joined by spaces as `sentencepiece` writes them.
  private func rewriteSelfTest(_ bytes: [UInt8], _ range: Range<Int>, path: FilePath) throws(TokenizationError)
    -> [UInt8]
  {
    func fields(_ range: Range<Int>) throws(TokenizationError) -> [ProtobufWire.Field] {
      do throws(ProtobufWire.Problem) {
        return try ProtobufWire.fields(of: bytes, in: range)
      } catch {
        throw .malformed(path: path, what: "self_test_data is not a protobuf message: \(error.reason)")
      }
    }
    var output: [UInt8] = []
    for sample in try fields(range) {
      guard sample.number == 1, sample.wireType == .lengthDelimited else {
        output.append(contentsOf: bytes[sample.record])
        continue
      }
      let members = try fields(sample.payload)
      guard let input = members.first(where: { $0.number == 1 && $0.wireType == .lengthDelimited }) else {
        output.append(contentsOf: bytes[sample.record])
        continue
      }
      let text = String(decoding: bytes[input.payload], as: UTF8.self)
      let expected = try encodedTokens(of: text).joined(separator: " ")
      var rewritten: [UInt8] = []
      for member in members {
        if member.number == 2, member.wireType == .lengthDelimited {
          ProtobufWire.appendLengthDelimited(2, Array(expected.utf8), to: &rewritten)
        } else {
          rewritten.append(contentsOf: bytes[member.record])
        }
      }
      ProtobufWire.appendLengthDelimited(1, rewritten, to: &output)
    }
    return output
  }
}

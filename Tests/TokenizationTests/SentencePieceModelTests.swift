import Testing
import Tokenization

/// A `ModelProto` written field by field: pieces, a trainer spec with ids, a normalizer spec and
/// a field this reader does not know.
private func modelProto(padID: Int, baType: Int = 1) -> [UInt8] {
  var bytes: [UInt8] = []
  let pieces: [(String, Float, Int?)] = [
    ("<unk>", 0, 2), ("<s>", 0, 3), ("a", -1, nil), ("ba", -2, baType), ("b", -1.5, 1), ("ab", -3, 1),
  ]
  for (text, score, type) in pieces {
    var piece: [UInt8] = []
    ProtobufWire.appendLengthDelimited(1, Array(text.utf8), to: &piece)
    piece.append(0x15)  // field 2, fixed32
    withUnsafeBytes(of: score.bitPattern.littleEndian) { piece.append(contentsOf: $0) }
    if let type { ProtobufWire.appendVarintField(3, UInt64(type), to: &piece) }
    ProtobufWire.appendLengthDelimited(1, piece, to: &bytes)
  }
  var spec: [UInt8] = []
  ProtobufWire.appendLengthDelimited(2, Array("m".utf8), to: &spec)  // model_prefix
  ProtobufWire.appendVarintField(3, 2, to: &spec)  // model_type BPE
  ProtobufWire.appendVarintField(4, 6, to: &spec)  // vocab_size
  ProtobufWire.appendVarintField(35, 1, to: &spec)  // byte_fallback
  ProtobufWire.appendVarintField(40, 0, to: &spec)  // unk_id
  ProtobufWire.appendVarintField(41, 1, to: &spec)  // bos_id
  ProtobufWire.appendVarintField(42, UInt64(bitPattern: -1), to: &spec)  // eos_id
  ProtobufWire.appendVarintField(43, UInt64(padID), to: &spec)  // pad_id
  ProtobufWire.appendLengthDelimited(2, spec, to: &bytes)
  ProtobufWire.appendLengthDelimited(3, [0x0A, 0x03, 0x6E, 0x66, 0x63], to: &bytes)  // name "nfc"
  ProtobufWire.appendVarintField(99, 300, to: &bytes)
  return bytes
}

private let tokenizerJSON = """
  {"added_tokens":[{"id":0,"content":"<unk>","special":true},{"id":1,"content":"<s>","special":true}],
   "model":{"type":"BPE","unk_token":"<unk>","vocab":{"<unk>":0,"<s>":1,"a":2,"ba":3,"b":4,"ab":5},
   "merges":["a b","b a"]}}
  """

private func plan() throws -> (TokenizerTrim, TokenizerFile) {
  let file = try TokenizerFile(bytes: Array(tokenizerJSON.utf8), path: "t.json")
  var usage = TokenUsage(for: file.tokenizer)
  try file.tokenizer.encode("ab", recordingInto: &usage)
  return (try TokenizerTrim(file: file, usage: usage), file)
}

@Test func sentencePieceModelsAreReadAndTrimmedKeepingOtherFields() throws {
  let model = try SentencePieceModel(bytes: modelProto(padID: 5), path: "m.model")
  #expect(model.pieces.map(\.text) == ["<unk>", "<s>", "a", "ba", "b", "ab"])
  #expect(model.pieces.map(\.score) == [0, 0, -1, -2, -1.5, -3])
  #expect(model.pieces.map(\.type) == [.unknown, .control, .normal, .normal, .normal, .normal])
  #expect(model.byteFallback)
  #expect(model.requiredIDs == [0, 1])
  let (plan, file) = try plan()
  #expect(plan.keptIDs == [0, 1, 2, 4, 5])
  let trimmed = try plan.rewriteSentencePieceModel(model, vocabulary: file.tokenizer.vocabulary)
  // The same message with piece 3 gone, vocab_size 5 and pad_id 4.
  var expected = try SentencePieceModel(bytes: modelProto(padID: 4), path: "m.model")
  let pieceThree = expected.fields.filter { $0.number == 1 }[3].record
  var expectedBytes = expected.bytes
  expectedBytes.removeSubrange(pieceThree)
  expected = try SentencePieceModel(bytes: expectedBytes, path: "m.model")
  let specRange = expected.fields.first { $0.number == 2 }!.payload
  let specFields = try ProtobufWire.fields(of: expectedBytes, in: specRange)
  let vocabularySize = specFields.first { $0.number == 4 }!.payload
  expectedBytes[vocabularySize.lowerBound] = 5
  #expect(trimmed == expectedBytes)
  let reread = try SentencePieceModel(bytes: trimmed, path: "trimmed.model")
  #expect(reread.pieces.map(\.text) == ["<unk>", "<s>", "a", "b", "ab"])
}

@Test func sentencePieceTrimsThatWouldBreakTheModelAreErrors() throws {
  let (plan, file) = try plan()
  func message(_ bytes: [UInt8]) -> String? {
    do {
      let model = try SentencePieceModel(bytes: bytes, path: "m.model")
      _ = try plan.rewriteSentencePieceModel(model, vocabulary: file.tokenizer.vocabulary)
      return nil
    } catch {
      return error.description
    }
  }
  #expect(message(modelProto(padID: 3)) == "m.model: trainer_spec.pad_id is 3, a piece the trim removes")
  #expect(
    message(modelProto(padID: 5, baType: 4))
      == #"m.model: the trim removes piece 3 "ba", which sentencepiece needs (keep SentencePieceModel.requiredIDs)"#
  )
  var renamed = modelProto(padID: 5)
  renamed[renamed.firstIndex(of: UInt8(ascii: "b"))!] = UInt8(ascii: "c")  // piece 3 "ba" is now "ca"
  #expect(message(renamed) == nil)  // a removed piece is not compared
  var other = modelProto(padID: 5)
  let bIndex = other.indices.filter { other[$0] == UInt8(ascii: "b") }[1]  // piece 4 "b"
  other[bIndex] = UInt8(ascii: "c")
  #expect(message(other) == #"m.model: piece 4 is "c", but id 4 in tokenizer.json is "b""#)
  #expect(
    message([0x0A, 0x05, 0x01])
      == "m.model: the file is not a protobuf message: field 1 at byte 0 is longer than its message")
  #expect(
    message([0x0B]) == "m.model: the file is not a protobuf message: unsupported wire type 3 at byte 0")
  #expect(
    message([0x0A, 0x00])
      == "m.model: pieces[0] has no piece text")
  #expect(
    message([0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
      == "m.model: the file is not a protobuf message: varint longer than 64 bits at byte 1")
}

@Test func varintsRoundTrip() throws {
  for value: UInt64 in [0, 1, 127, 128, 300, 1 << 32, UInt64(bitPattern: -1)] {
    var bytes: [UInt8] = []
    ProtobufWire.appendVarintField(5, value, to: &bytes)
    let fields = try ProtobufWire.fields(of: bytes, in: 0..<bytes.count)
    #expect(fields.count == 1 && fields[0].number == 5 && fields[0].varint == value)
    #expect(fields[0].record == 0..<bytes.count)
  }
}

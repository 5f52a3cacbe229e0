import Tokenization

/// Whether two tokenizers split numbers alike: `0`…`999` and a few long numbers are encoded with
/// both, and the places where each cuts the digits between tokens compared (a model moved onto a
/// tokenizer that splits digits otherwise does worse at arithmetic).
struct NumberSplits: Sendable {
  /// The numbers compared.
  static let numbers: [String] =
    (0..<1000).map { String($0) } + ["1234", "12345", "2024", "65536", "1000000", "3.14159", "123456789", "9876543210"]

  /// The numbers the two split differently (the first few).
  let differing: [String]
  /// How many numbers the two split differently.
  let differingCount: Int

  /// Compares the splits of ``numbers`` by `base` and `donor`.
  ///
  /// - Throws: ``SurgeryError/tokenization(_:)`` when one of them cannot encode a number.
  init(base: Tokenizer, baseBytes: VocabularyBytes, donor: Tokenizer, donorBytes: VocabularyBytes)
    throws(SurgeryError)
  {
    var differing: [String] = []
    var count = 0
    for number in Self.numbers {
      let left = try Self.cuts(number, base, baseBytes)
      let right = try Self.cuts(number, donor, donorBytes)
      if left != right {
        count += 1
        if differing.count < 5 { differing.append(number) }
      }
    }
    self.differing = differing
    self.differingCount = count
  }

  /// The byte offsets inside `number` where `tokenizer` starts a new token (spaces it puts in front,
  /// as a SentencePiece `▁`, left out).
  private static func cuts(_ number: String, _ tokenizer: Tokenizer, _ bytes: VocabularyBytes) throws(SurgeryError)
    -> [Int]
  {
    let ids: [Int]
    do {
      ids = try tokenizer.encode(number).ids
    } catch {
      throw .tokenization(error)
    }
    var offset = 0
    var cuts: [Int] = []
    for id in ids {
      var piece = bytes.entry(for: id)?.bytes.bytes ?? []
      if offset == 0 { piece = Array(piece.drop { $0 == 0x20 }) }
      if offset > 0, !piece.isEmpty { cuts.append(offset) }
      offset += piece.count
    }
    return cuts
  }
}

import Tokenization

/// The pieces the base tokenizer splits a donor token's bytes into, for `--init nearest`: runs of
/// UTF-8 are encoded as text, bytes that are not UTF-8 go through the base's byte tokens (a
/// byte-level `Â`, a byte-fallback `<0xC2>`).
struct BasePieces {
  let tokenizer: Tokenizer
  /// The base's token for each byte (``VocabularyBytes/byteTokenIDs``).
  let byteTokens: [Int?]

  init(tokenizer: Tokenizer, bytes: VocabularyBytes) {
    self.tokenizer = tokenizer
    self.byteTokens = bytes.byteTokenIDs
  }

  /// The base ids of the pieces of `bytes` (a byte without a base token gives no piece).
  ///
  /// - Throws: ``SurgeryError/tokenization(_:)`` when the base cannot encode a run of text.
  func pieces(of bytes: [UInt8]) throws(SurgeryError) -> [Int] {
    var ids: [Int] = []
    var start = 0
    while start < bytes.count {
      // The longest valid UTF-8 run from `start`.
      var end = start
      while end < bytes.count, let length = Self.scalarLength(bytes, at: end) { end += length }
      if end > start {
        do {
          ids += try tokenizer.encode(String(decoding: bytes[start..<end], as: UTF8.self)).ids
        } catch {
          throw .tokenization(error)
        }
        start = end
      } else {
        if let id = byteTokens[Int(bytes[start])] { ids.append(id) }
        start += 1
      }
    }
    return ids
  }

  /// The length of the UTF-8 scalar at `index`, or `nil` when none starts there.
  static func scalarLength(_ bytes: [UInt8], at index: Int) -> Int? {
    let lead = bytes[index]
    let length: Int
    switch lead {
    case 0x00...0x7F: return 1
    case 0xC2...0xDF: length = 2
    case 0xE0...0xEF: length = 3
    case 0xF0...0xF4: length = 4
    default: return nil
    }
    guard index + length <= bytes.count else { return nil }
    return String(validating: bytes[index..<(index + length)], as: UTF8.self) != nil ? length : nil
  }
}

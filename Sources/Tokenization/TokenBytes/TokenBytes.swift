/// What a token stands for in text: its bytes and where in a word it may stand. Two tokens of
/// different tokenizers are the same token when their bytes and position agree (a word-start `▁x`
/// of SentencePiece and a `Ġx` of byte-level BPE are both ` x`).
public struct TokenBytes: Sendable, Hashable, CustomStringConvertible {
  /// Where in a word a token may stand.
  public enum Position: String, Sendable, Hashable {
    /// Anywhere: its bytes say everything (byte-level BPE, SentencePiece, Unigram, added tokens).
    case anywhere
    /// The start of a word (a WordPiece token without the continuation prefix).
    case wordStart
    /// Inside a word, after another piece (a WordPiece `##` token).
    case continuation
  }

  /// The bytes the token stands for (not necessarily UTF-8: a byte-level `Â` is the byte 0xC2).
  public var bytes: [UInt8]
  /// Where it may stand.
  public var position: Position

  /// A token standing for `bytes` at `position`.
  public init(bytes: [UInt8], position: Position = .anywhere) {
    self.bytes = bytes
    self.position = position
  }

  /// The bytes as text when they are UTF-8, with the position's marker (`##` for a continuation).
  public var description: String {
    let text = String(validating: bytes, as: UTF8.self) ?? bytes.map { byteDescription($0) }.joined()
    return position == .continuation ? "##" + text : text
  }

  private func byteDescription(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return "<0x\(digits[Int(byte >> 4)])\(digits[Int(byte & 0xF)])>"
  }
}

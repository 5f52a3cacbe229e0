/// The result of encoding a text: token ids and the matching token strings.
public struct Encoding: Sendable, Equatable {
  /// The token ids.
  public var ids: [Int]
  /// The token strings (for an added token its content; for an unknown Unigram piece the text).
  public var tokens: [String]

  /// Creates an encoding.
  public init(ids: [Int], tokens: [String]) {
    self.ids = ids
    self.tokens = tokens
  }

  /// Encodings are equal when their ids are and their tokens have the same UTF-8 bytes.
  public static func == (lhs: Encoding, rhs: Encoding) -> Bool {
    lhs.ids == rhs.ids && lhs.tokens.count == rhs.tokens.count
      && zip(lhs.tokens, rhs.tokens).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
  }
}

/// A token of a vocabulary: its id (the row of its vector) and its text.
///
/// The one token-with-id type of the package. Texts compare and hash by their UTF-8 bytes, as the
/// HF library compares them (Swift's `String ==` would equate `"é"` and `"e\u{301}"`).
public struct Token: Sendable, Hashable, CustomStringConvertible {
  /// The id.
  public var id: Int
  /// The text.
  public var text: String

  /// A token with `id` and `text`.
  public init(id: Int, text: String) {
    self.id = id
    self.text = text
  }

  public static func == (lhs: Token, rhs: Token) -> Bool {
    lhs.id == rhs.id && TokenKey(lhs.text) == TokenKey(rhs.text)
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(id)
    hasher.combine(TokenKey(text))
  }

  /// `"<text>" (id)`.
  public var description: String { "\(text) (\(id))" }
}

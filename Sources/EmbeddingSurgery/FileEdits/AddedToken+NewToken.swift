import Tokenization

extension AddedToken {
  /// The `added_tokens` entry a surgery records for a new token: matched whole, without
  /// stripping; a special token is matched in the raw text, any other in the normalized text.
  package init(newToken token: Token, special: Bool) {
    self.init(id: token.id, content: token.text, normalized: !special, special: special)
  }
}

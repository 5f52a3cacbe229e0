/// One piece of the text between the stages of encoding: either text still to be tokenized or
/// an added token already matched.
struct TextPiece: Sendable {
  var text: NormalizedText
  /// The added token the piece is, if it is one.
  var token: Token?

  init(text: NormalizedText, token: Token? = nil) {
    self.text = text
    self.token = token
  }
}

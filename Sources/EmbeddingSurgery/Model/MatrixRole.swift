/// Which matrix of a model a report is about.
public enum MatrixRole: String, Sendable, Encodable {
  /// The token embedding.
  case embedding
  /// The untied output head.
  case head
}

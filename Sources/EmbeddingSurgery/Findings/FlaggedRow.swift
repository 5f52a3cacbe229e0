/// A row flagged in the embedding, the head, or both, with its token: an entry of `audit`'s and
/// `fix-untrained`'s reports.
///
/// JSON: `{"id", "token" (or null), "where" (or null), "embedding": [findings], "head": [findings]}`.
public struct FlaggedRow: Encodable, Sendable, Equatable {
  /// Where a row was flagged.
  public enum Location: String, Sendable, Encodable {
    case embedding, head, both
  }

  /// The row (token id).
  public var id: Int
  /// The token with that id, when the tokenizer has one.
  public var token: String?
  /// Its findings in the embedding, ascending (empty when none).
  public var embedding: [RowFinding]
  /// Its findings in the head, ascending (empty when none, or when the head is tied).
  public var head: [RowFinding]

  enum CodingKeys: String, CodingKey {
    case id, token
    case location = "where"
    case embedding, head
  }

  /// Creates a flagged row.
  public init(id: Int, token: String?, embedding: [RowFinding], head: [RowFinding]) {
    self.id = id
    self.token = token
    self.embedding = embedding
    self.head = head
  }

  /// Where it was flagged (`nil` for a row named by the user but flagged nowhere).
  public var location: Location? {
    switch (embedding.isEmpty, head.isEmpty) {
    case (true, true): nil
    case (false, true): .embedding
    case (true, false): .head
    case (false, false): .both
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(id, forKey: .id)
    try container.encodeIfPresent(token, forKey: .token)
    try container.encodeIfPresent(location, forKey: .location)
    try container.encode(embedding, forKey: .embedding)
    try container.encode(head, forKey: .head)
  }
}

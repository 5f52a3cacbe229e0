import StrictJSON

/// A row flagged in the embedding, the head, or both, with its token: an entry of `audit`'s and
/// `fix-untrained`'s reports.
public struct FlaggedRow: Sendable, Equatable {
  /// Where a row was flagged.
  public enum Location: String, Sendable {
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

  /// `{"id", "token" (or null), "where" (or null), "embedding": [findings], "head": [findings]}`.
  public var json: JSONValue {
    .object([
      JSONMember("id", .number(JSONNumber(id))),
      JSONMember("token", token.map { .string($0) } ?? .null),
      JSONMember("where", location.map { .string($0.rawValue) } ?? .null),
      JSONMember("embedding", .array(embedding.map { .string($0.rawValue) })),
      JSONMember("head", .array(head.map { .string($0.rawValue) })),
    ])
  }
}

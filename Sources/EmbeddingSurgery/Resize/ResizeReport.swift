import Tokenization

/// What a resize did (or, for a dry run, would do): the value a training pipeline reads.
///
/// JSON (`resize --json`): `{"schema_version", "added": [{"token", "id", "init", "pieces",
/// "slot"}], "skipped": [{"token", "reason"}], "rows_before", "rows_after", "resized": [names],
/// "tied", "output", "written", "notes": [text]}`; `slot` is the reserved placeholder a token
/// replaced (`--reuse-reserved`), else null.
public struct ResizeReport: SurgeryReport, Equatable {
  /// A token that was added, and how its rows were initialized.
  public struct InitializedToken: Encodable, Sendable, Equatable {
    /// The token and its id (the row of its vector).
    public var token: Token
    /// The rule that initialized its rows (`mean` when `nearest` fell back).
    public var initialization: InitializationRule
    /// The ids of the pieces the original tokenizer splits it into (for `nearest`).
    public var pieces: [Int]
    /// The reserved placeholder token it replaced (`--reuse-reserved`), or `nil` for a new row.
    public var slot: String? = nil

    enum CodingKeys: String, CodingKey {
      case token, id
      case initialization = "init"
      case pieces, slot
    }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(token.text, forKey: .token)
      try container.encode(token.id, forKey: .id)
      try container.encode(initialization, forKey: .initialization)
      try container.encode(pieces, forKey: .pieces)
      try container.encodeIfPresent(slot, forKey: .slot)
    }
  }

  /// A token that was not added, and why.
  public struct SkippedToken: Encodable, Sendable, Equatable {
    /// The token's text.
    public var token: String
    /// Why it was skipped ("duplicate", "already in the vocabulary as id 42").
    public var reason: String

    /// A token skipped for `reason`.
    package init(token: String, reason: String) {
      self.token = token
      self.reason = reason
    }
  }

  /// Tokens added, in id order.
  public var added: [InitializedToken]
  /// Tokens skipped.
  public var skipped: [SkippedToken]
  /// Rows of the embedding before.
  public var rowsBefore: Int
  /// Rows of the embedding after.
  public var rowsAfter: Int
  /// The tensors that were resized or had rows re-initialized.
  public var resized: [String]
  /// Whether the output head is tied to the embedding.
  public var tied: Bool
  /// Where the result was written (for a dry run, where it would be).
  public var output: String
  /// Whether a checkpoint was written (false for a dry run).
  public var written = true
  /// Remarks for a person (tokenizer files left unchanged, fallbacks, ...).
  public var notes: [String]

  enum CodingKeys: String, CodingKey {
    case added, skipped
    case rowsBefore = "rows_before"
    case rowsAfter = "rows_after"
    case resized, tied, output, written
    case notes
  }

  /// The ids of the added tokens, ready for PEFT's `trainable_token_indices`.
  public var newIDs: [Int] { added.map(\.token.id) }
}

import StrictJSON
import Tokenization

/// What a resize did (or, for a dry run, would do): the value a training pipeline reads.
public struct ResizeReport: SurgeryReport, Sendable, Equatable {
  /// A token that was added, and how its rows were initialized.
  public struct InitializedToken: Sendable, Equatable {
    /// The token and its id (the row of its vector).
    public var token: Token
    /// The rule that initialized its rows (`mean` when `nearest` fell back).
    public var initialization: InitializationRule
    /// The ids of the pieces the original tokenizer splits it into (for `nearest`).
    public var pieces: [Int]
    /// The reserved placeholder token it replaced (`--reuse-reserved`), or `nil` for a new row.
    public var slot: String? = nil
  }

  /// A token that was not added, and why.
  public struct SkippedToken: Sendable, Equatable {
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
  /// Remarks for a person (tokenizer files left unchanged, fallbacks, ...).
  public var notes: [String]
  /// Whether each added entry of ``json`` carries a `"slot"` (`--reuse-reserved`).
  public var reportsSlots = false

  /// The ids of the added tokens, ready for PEFT's `trainable_token_indices`.
  public var newIDs: [Int] { added.map(\.token.id) }

  /// The report as JSON, exactly:
  /// `{"added":[{"token","id","init","pieces":[ids]}], "skipped":[{"token","reason"}],
  /// "rows_before":n, "rows_after":n, "resized":[names], "tied":bool, "output":path}`; with
  /// `--reuse-reserved` each added entry also has `"slot"`: the placeholder it replaced, or null.
  public var json: JSONValue {
    .object([
      JSONMember(
        "added",
        .array(
          added.map {
            .object(
              [
                JSONMember("token", .string($0.token.text)),
                JSONMember("id", .number(JSONNumber($0.token.id))),
                JSONMember("init", .string($0.initialization.rawValue)),
                JSONMember("pieces", .array($0.pieces.map { .number(JSONNumber($0)) })),
              ] + (reportsSlots ? [JSONMember("slot", $0.slot.map { .string($0) } ?? .null)] : []))
          })),
      JSONMember(
        "skipped",
        .array(
          skipped.map {
            .object([JSONMember("token", .string($0.token)), JSONMember("reason", .string($0.reason))])
          })),
      JSONMember("rows_before", .number(JSONNumber(rowsBefore))),
      JSONMember("rows_after", .number(JSONNumber(rowsAfter))),
      JSONMember("resized", .array(resized.map { .string($0) })),
      JSONMember("tied", .bool(tied)),
      JSONMember("output", .string(output)),
    ])
  }
}

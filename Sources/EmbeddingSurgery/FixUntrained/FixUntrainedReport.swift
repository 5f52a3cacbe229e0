import StrictJSON

/// What `fix-untrained` did (or, for a dry run, would do).
public struct FixUntrainedReport: SurgeryReport, Sendable, Equatable {
  /// The rows re-initialized, ascending, with why each was flagged.
  public var rows: [FlaggedRow]
  /// The rule that initialized them (`mean` when `mvn` fell back to it in every matrix).
  public var initialization: InitializationRule
  /// The tensors whose rows were re-initialized.
  public var changed: [String]
  /// Whether the output head is tied to the embedding.
  public var tied: Bool
  /// Where the result was (or would be) written.
  public var output: String
  /// Whether a checkpoint was written.
  public var written: Bool
  /// Remarks for a person (mvn fallbacks, noise erased by rounding, nothing to fix).
  public var notes: [String]

  /// The ids of the re-initialized rows.
  public var ids: [Int] { rows.map(\.id) }

  /// The report as JSON:
  /// `{"fixed":[``FlaggedRow/json``...], "init", "changed":[names], "tied", "output", "written",
  /// "notes":[text]}`: each re-initialized row as `audit` reports a flagged row
  /// (`{id, token, where, embedding, head}`, findings spelled `zero`, `nonfinite`, `low_norm`).
  public var json: JSONValue {
    .object([
      JSONMember(
        "fixed",
        .array(rows.map(\.json))),
      JSONMember("init", .string(initialization.rawValue)),
      JSONMember("changed", .array(changed.map { .string($0) })),
      JSONMember("tied", .bool(tied)),
      JSONMember("output", .string(output)),
      JSONMember("written", .bool(written)),
      JSONMember("notes", .array(notes.map { .string($0) })),
    ])
  }
}

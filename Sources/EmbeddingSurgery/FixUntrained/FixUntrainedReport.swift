/// What `fix-untrained` did (or, for a dry run, would do).
///
/// JSON (`fix-untrained --json`): `{"schema_version", "fixed": [``FlaggedRow``...], "init",
/// "resized": [names], "tied", "output", "written", "notes": [text]}`: each re-initialized row as
/// `audit` reports a flagged row (`{id, token, where, embedding, head}`, findings spelled `zero`,
/// `nonfinite`, `low_norm`).
public struct FixUntrainedReport: SurgeryReport, Equatable {
  /// The rows re-initialized, ascending, with why each was flagged.
  public var rows: [FlaggedRow]
  /// The rule that initialized them (`mean` when `mvn` fell back to it in every matrix).
  public var initialization: InitializationRule
  /// The tensors whose rows were re-initialized.
  public var resized: [String]
  /// Whether the output head is tied to the embedding.
  public var tied: Bool
  /// Where the result was (or would be) written.
  public var output: String
  /// Whether a checkpoint was written.
  public var written: Bool
  /// Remarks for a person (mvn fallbacks, noise erased by rounding, nothing to fix).
  public var notes: [String]

  enum CodingKeys: String, CodingKey {
    case rows = "fixed"
    case initialization = "init"
    case resized, tied, output, written, notes
  }

  /// The ids of the re-initialized rows.
  public var ids: [Int] { rows.map(\.id) }
}

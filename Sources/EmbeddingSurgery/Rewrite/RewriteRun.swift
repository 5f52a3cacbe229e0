/// What became of a row-rewriting plan, for its report (see ``RowRewritingPlan/report(output:run:)``).
public enum RewriteRun<Outcome: Sendable>: Sendable {
  /// A dry run: nothing was written.
  case dryRun
  /// The plan changes nothing (``SurgeryPlan/writesAnything`` is false): nothing was written.
  case nothingToWrite
  /// The checkpoint was written: what the row source found, and the pipeline's own remarks
  /// (hard links).
  case written(Outcome, notes: [String])

  /// Whether a checkpoint was written.
  public var wrote: Bool {
    if case .written = self { true } else { false }
  }

  /// The pipeline's remarks (none unless written).
  public var notes: [String] {
    if case .written(_, let notes) = self { notes } else { [] }
  }

  /// What the row source found (`nil` unless written).
  public var outcome: Outcome? {
    if case .written(let outcome, _) = self { outcome } else { nil }
  }
}

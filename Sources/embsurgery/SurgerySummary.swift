/// The lines every surgery's text summary ends with, rendered from its report.
enum SurgerySummary {
  /// `Note: ...` for each note, then what was written: `Wrote OUTPUT.`, or for a dry run
  /// `Nothing written (dry run); output would be OUTPUT.`, or `Nothing written.`
  static func ending(notes: [String], written: Bool, output: String, dryRun: Bool) -> [String] {
    var lines = notes.map { "Note: \($0)." }
    if written {
      lines.append("Wrote \(output).")
    } else {
      lines.append(dryRun ? "Nothing written (dry run); output would be \(output)." : "Nothing written.")
    }
    return lines
  }
}

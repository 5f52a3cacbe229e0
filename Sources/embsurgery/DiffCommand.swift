import ArgumentParser
import EmbeddingSurgery
import StrictJSON
import Tokenization

/// `embsurgery diff A B [--json]`: what changed between two tokenizers or checkpoints.
struct Diff: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "diff",
    abstract: "Compare two tokenizer.json files, .safetensors files, model folders or cached models.",
    discussion: """
      Lists tokens added, removed, renamed (same id, new text) and moved (same text, new id), added-token \
      flags changed, config.json's vocab_size, and for the embedding and the head the rows that differ and \
      by how much. Exit status: 0 when identical, 3 when different, 1 on errors.
      """
  )

  @Argument(
    help:
      "The first tokenizer.json, .safetensors file, model folder (sentence-transformers folders included) or Hugging Face repository id."
  )
  var a: String

  @Argument(help: "The second.")
  var b: String

  @Option(
    name: .customLong("revision"), parsing: .upToNextOption,
    help: ArgumentHelp(
      "For Hugging Face repository ids: the branch, tag or commit hash of A's and of B's cached snapshot (default: main).",
      discussion:
        "Two values, A's then B's; '-' leaves a side at its default (a side that is a path takes '-').",
      valueName: "revision"))
  var revisions: [String] = []

  @Flag(help: "Print the differences as one line of JSON.")
  var json = false

  func validate() throws {
    guard revisions.isEmpty || revisions.count == 2 else {
      throw ValidationError("--revision takes two values, A's and B's ('-' for none), not \(revisions.count)")
    }
  }

  /// The revision of side `index` (0 for A, 1 for B), `nil` for none or `-`.
  private func revision(_ index: Int) -> String? {
    index < revisions.count && revisions[index] != "-" ? revisions[index] : nil
  }

  func run() throws {
    let diff: CheckpointDiff
    do {
      diff = try CheckpointDiff(a: a, b: b, revisionA: revision(0), revisionB: revision(1))
    } catch {
      throw CommandOutput.failure(error)
    }
    try CommandOutput.print(diff, json: json, text: DiffSummary(diff: diff).lines.joined(separator: "\n"))
    if !diff.isIdentical { throw ExitCode(3) }
  }
}

/// The human report of a diff: one line per difference (nothing when identical).
package struct DiffSummary {
  let diff: CheckpointDiff
  /// Differing rows listed per matrix.
  static let listedRows = 10

  package static func number(_ value: Double) -> String {
    value.isFinite ? PrintfNumber.g(value, precision: 6) : "inf"
  }

  /// `(special)`, `(added token)` with the stripping flags that are set; empty for a vocabulary token.
  static func annotation(_ added: AddedToken?) -> String {
    guard let added else { return "" }
    var words = [added.special ? "special" : "added token"]
    if added.lstrip { words.append("lstrip") }
    if added.rstrip { words.append("rstrip") }
    if added.singleWord { words.append("single_word") }
    return " (" + words.joined(separator: ", ") + ")"
  }

  static func flag(_ value: Bool?) -> String { value.map { "\($0)" } ?? "-" }

  var lines: [String] {
    var lines: [String] = []
    for token in diff.added {
      lines.append("added \(token.token.id) \(TokenDisplay.text(token.token.text))\(Self.annotation(token.added))")
    }
    for token in diff.removed {
      lines.append("removed \(token.token.id) \(TokenDisplay.text(token.token.text))\(Self.annotation(token.added))")
    }
    for change in diff.renamed {
      lines.append(
        "renamed \(change.id) \(TokenDisplay.text(change.before.token.text)) → \(TokenDisplay.text(change.after.token.text))\(Self.annotation(change.after.added))"
      )
    }
    for move in diff.moved {
      lines.append("moved \(TokenDisplay.text(move.text)) \(move.before) → \(move.after)")
    }
    for change in diff.flagsChanged {
      let text = change.changes.map { "\($0.flag) \(Self.flag($0.before)) → \(Self.flag($0.after))" }
      lines.append("flags \(change.id) \(TokenDisplay.text(change.text)): \(text.joined(separator: ", "))")
    }
    if let sizes = diff.vocabularySize, sizes.a != sizes.b {
      lines.append("vocab_size \(sizes.a.map(String.init) ?? "-") → \(sizes.b.map(String.init) ?? "-")")
    }
    for matrix in diff.matrices where matrix.differs {
      let name = matrix.b?.name ?? matrix.a?.name ?? ""
      var parts: [String] = []
      if let a = matrix.a, let b = matrix.b {
        if a.name != b.name { parts.append("renamed from \(a.name)") }
        if a.dtype != b.dtype { parts.append("dtype \(a.dtype) → \(b.dtype)") }
      }
      if let problem = matrix.problem { parts.append(problem) }
      if matrix.problem == nil {
        if let largest = matrix.largest {
          parts.append(
            "\(matrix.rows.count) of \(matrix.comparedRows) rows differ (\(AuditSummary.shortened(IDRanges(matrix.rows.map(\.id))))), max abs diff \(Self.number(largest.maxAbsDifference)) at row \(largest.id)"
          )
        }
        if let added = matrix.addedRows { parts.append("rows \(Self.span(added)) added") }
        if let removed = matrix.removedRows { parts.append("rows \(Self.span(removed)) removed") }
      }
      lines.append("\(matrix.role.rawValue) \(name): " + parts.joined(separator: "; "))
      var listed = matrix.rows
      if listed.count > Self.listedRows {
        listed = Array(listed.sorted { $0.maxAbsDifference > $1.maxAbsDifference }.prefix(Self.listedRows))
        listed.sort { $0.id < $1.id }
        lines.append("  the \(Self.listedRows) largest:")
      }
      for row in listed {
        lines.append("  row \(row.id): max abs diff \(Self.number(row.maxAbsDifference))")
      }
    }
    for note in diff.notes { lines.append("note: \(note)") }
    return lines
  }

  static func span(_ range: Range<Int>) -> String {
    range.count == 1 ? "\(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound - 1)"
  }
}

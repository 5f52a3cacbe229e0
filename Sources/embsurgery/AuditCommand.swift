import ArgumentParser
import EmbeddingSurgery
import StrictJSON

/// `embsurgery audit MODEL [--json]`: rows that look untrained or broken.
struct Audit: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "audit",
    abstract:
      "Check the rows of the embedding and the head: norms, zero, NaN/Inf, low-norm, duplicate and untrained-looking rows.",
    discussion: """
      MODEL is a .safetensors file or a model folder. Exit status: 0 when nothing is flagged, 3 when a row \
      or a token is flagged, 1 on errors. Rows no token uses are listed but not flagged.
      """
  )

  @Argument(help: "A .safetensors file, a model folder, or a Hugging Face repository id in the local cache.")
  var model: String

  @OptionGroup var location: ModelLocationOptions

  @OptionGroup var modelOptions: ModelOptions

  @Flag(help: "Print the findings as one line of JSON.")
  var json = false

  func run() throws {
    let audit: ModelAudit
    do {
      let checkpoint = try location.open(model, tokenizer: modelOptions.tokenizer)
      audit = try ModelAudit(
        model: checkpoint, embeddingName: modelOptions.tensors.embedding, headName: modelOptions.tensors.head)
    } catch {
      throw CommandOutput.failure(error)
    }
    try CommandOutput.print(audit, json: json, text: AuditSummary(audit: audit).text)
    if audit.hasFindings { throw ExitCode(3) }
  }
}

/// The human report of an audit.
package struct AuditSummary {
  let audit: ModelAudit
  /// Lines listed per flag before "… more".
  static let maximumLines = 40

  package static func number(_ value: Double) -> String {
    value == 0 ? "0" : PrintfNumber.g(value, precision: 4)
  }

  /// A matrix's role, left-aligned in the first column (10 characters).
  static func label(_ role: MatrixRole) -> String {
    role.rawValue + String(repeating: " ", count: max(0, 10 - role.rawValue.count))
  }

  var text: String {
    (modelLines + [""] + normLines + [""] + flaggedRowLines + trailingLines).joined(separator: "\n")
  }

  /// The embedding, then the head when it is untied.
  private var matrices: [ModelAudit.MatrixAudit] { [audit.embedding] + (audit.head.map { [$0] } ?? []) }

  /// The model (and its tokenizer), then one line per matrix.
  private var modelLines: [String] {
    var modelLine = "model      \(audit.model)"
    if let path = audit.tokenizerPath, let size = audit.vocabularySize {
      modelLine += " (tokenizer \(path): \(size) ids, \(audit.reservedIDs.count) reserved)"
    }
    var lines = [modelLine]
    for matrix in matrices {
      lines.append(
        "\(Self.label(matrix.role)) \(matrix.matrix.name) [\(matrix.matrix.rows), \(matrix.matrix.dimension)] \(matrix.matrix.dtype)"
      )
    }
    if audit.head == nil { lines.append("head       tied to the embedding") }
    return lines
  }

  /// The table of the rows' L2-norm quantiles, a line per matrix.
  private var normLines: [String] {
    let columns = ["min", "p1", "p5", "p50", "p95", "p99", "max"]
    func cell(_ text: String) -> String { String(repeating: " ", count: max(0, 10 - text.count)) + text }
    var lines = ["L2 norms  " + columns.map(cell).joined()]
    for matrix in matrices {
      let label = Self.label(matrix.role)
      if let norms = matrix.norms {
        lines.append(label + norms.named.map { cell(Self.number($0.1)) }.joined())
      } else {
        lines.append(label + "no finite row")
      }
    }
    return lines
  }

  /// The flagged rows: their count by location, the runs of each flag, then the duplicate groups.
  private var flaggedRowLines: [String] {
    let rows = audit.flaggedRows
    if rows.isEmpty { return ["Flagged rows: none"] }
    let embeddingOnly = rows.filter { $0.location == .embedding }.count
    let headOnly = rows.filter { $0.location == .head }.count
    let both = rows.filter { $0.location == .both }.count
    var lines = ["Flagged rows: \(rows.count) (embedding only \(embeddingOnly), head only \(headOnly), both \(both))"]
    for flag in RowFinding.allCases where flag != .duplicate {
      let entries: [(id: Int, token: String?, location: String)] = rows.compactMap { row in
        let inEmbedding = row.embedding.contains(flag)
        let inHead = row.head.contains(flag)
        guard inEmbedding || inHead else { return nil }
        return (row.id, row.token, inEmbedding && inHead ? "embedding and head" : inEmbedding ? "embedding" : "head")
      }
      guard !entries.isEmpty else { continue }
      lines.append("  \(flag.label): \(entries.count)")
      lines += Self.runs(entries, showingTokens: audit.tokenizerPath != nil)
    }
    for matrix in matrices where !matrix.duplicateGroups.isEmpty {
      lines += duplicateGroupLines(matrix)
    }
    return lines
  }

  /// The groups of identical rows in `matrix` (at most ``maximumLines``), with their first tokens.
  private func duplicateGroupLines(_ matrix: ModelAudit.MatrixAudit) -> [String] {
    let groups = matrix.duplicateGroups
    var lines = [
      "  duplicate rows in the \(matrix.role.rawValue): \(groups.count) group\(groups.count == 1 ? "" : "s")"
    ]
    for group in groups.prefix(Self.maximumLines) {
      var tokens = ""
      if audit.tokenizerPath != nil {
        tokens = "  " + group.prefix(4).map { TokenDisplay.text(audit.token(of: $0)) }.joined(separator: ", ")
        if group.count > 4 { tokens += ", …" }
      }
      lines.append("    \(IDRanges(group).text)\(tokens)")
    }
    if groups.count > Self.maximumLines {
      lines.append("    … \(groups.count - Self.maximumLines) more groups (see --json)")
    }
    return lines
  }

  /// Tokens without a row, rows no token uses, and the notes.
  private var trailingLines: [String] {
    var lines: [String] = []
    if !audit.tokensWithoutRow.isEmpty {
      lines.append("Tokens without a row: \(audit.tokensWithoutRow.count)")
      lines += Self.runs(audit.tokensWithoutRow.map { ($0.id, $0.text, "") }, showingTokens: true)
    }
    if audit.unusedRows.count > 0 {
      lines.append("Rows no token uses: \(audit.unusedRows.count) (\(Self.shortened(audit.unusedRows)))")
    }
    for note in audit.notes { lines.append("Note: \(note).") }
    return lines
  }

  /// One line per run of consecutive ids with the same location (with the tokens of its ends
  /// when there is a tokenizer).
  static func runs(_ entries: [(id: Int, token: String?, location: String)], showingTokens: Bool) -> [String] {
    var lines: [String] = []
    var index = 0
    var runCount = 0
    while index < entries.count {
      var end = index
      while end + 1 < entries.count, entries[end + 1].id == entries[end].id + 1,
        entries[end + 1].location == entries[index].location
      {
        end += 1
      }
      runCount += 1
      if runCount <= maximumLines {
        let first = entries[index]
        let suffix = first.location.isEmpty ? "" : "  (\(first.location))"
        let last = entries[end]
        let ids = end == index ? "\(first.id)" : "\(first.id)-\(last.id)"
        var tokens = ""
        if showingTokens {
          tokens =
            end == index || (first.token == nil && last.token == nil)
            ? "  " + TokenDisplay.text(first.token)
            : "  \(TokenDisplay.text(first.token)) … \(TokenDisplay.text(last.token))"
        }
        lines.append("    \(ids)\(tokens)\(suffix)")
      }
      index = end + 1
    }
    if runCount > maximumLines { lines.append("    … \(runCount - maximumLines) more runs (see --json)") }
    return lines
  }

  /// The ranges, the first few only when there are many.
  static func shortened(_ ranges: IDRanges) -> String {
    guard ranges.ranges.count > 8 else { return ranges.text }
    return IDRanges(ranges.ranges.prefix(8).flatMap { Array($0) }).text + ", … (\(ranges.ranges.count) runs)"
  }
}

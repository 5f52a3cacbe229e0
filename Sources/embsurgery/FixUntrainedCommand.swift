import ArgumentParser
import EmbeddingSurgery
import StrictJSON

/// `embsurgery fix-untrained`: re-initialize untrained rows of the embedding and the head.
struct FixUntrained: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fix-untrained",
    abstract:
      "Re-initialize the untrained rows (all zero, NaN/Inf, or of a norm far below the rest) of the embedding and the head.",
    discussion: """
      MODEL is a .safetensors file or a model folder. The rows flagged in the embedding or the head (or the \
      rows given with --ids) are re-initialized in both by the chosen rule, computed over the trained rows \
      only; the rest of the checkpoint is copied unchanged. Nothing is written when no row is flagged.
      """
  )

  @Argument(help: "A .safetensors file, a model folder, or a Hugging Face repository id in the local cache.")
  var model: String

  @OptionGroup var location: ModelLocationOptions

  @Option(help: "Where to write the result.")
  var output: String

  @Option(help: "The rows to re-initialize, comma-separated (default: the rows found untrained).")
  var ids: RowIDList?

  @Option(name: .customLong("init"), help: "How the rows are initialized: mean, random, zeros or mvn.")
  var initialization: InitializationRule = .mean

  @Option(help: "The seed of --init random and --init mvn.")
  var seed: UInt64 = 0

  @Option(help: "The noise of --init mvn has covariance S·Σ of the trained rows.")
  var noiseScale: NoiseScale = .standard

  @Option(help: "The tokenizer.json used to name the rows (default: the one in the folder or beside the file).")
  var tokenizer: String?

  @OptionGroup var tensors: TensorOptions

  @OptionGroup var outputOptions: OutputOptions

  func validate() throws {
    if initialization == .nearest {
      throw ValidationError("--init nearest is for new tokens; use mean, random, zeros or mvn")
    }
  }

  func run() throws {
    do {
      try fix()
    } catch {
      throw CommandOutput.failure(error)
    }
  }

  private func fix() throws(SurgeryError) {
    let checkpoint = try location.open(model, tokenizer: tokenizer)
    let request = FixUntrainedRequest(
      ids: ids?.ids, initialization: initialization, seed: seed,
      noiseScale: noiseScale, embeddingName: tensors.embedding, headName: tensors.head)
    let plan = try FixUntrainedPlan(model: checkpoint, request: request)
    let destination = outputOptions.destination(of: plan, output: output)
    try outputOptions.run(plan, into: destination) { FixUntrainedSummary(report: $0, dryRun: $1).text }
  }
}

/// The human summary of a fix-untrained.
struct FixUntrainedSummary {
  let report: FixUntrainedReport
  let dryRun: Bool

  var text: String {
    var lines: [String] = []
    let count = report.rows.count
    lines.append(
      "\(dryRun ? "Would re-initialize" : "Re-initialized") \(count) row\(count == 1 ? "" : "s") with \(report.initialization.rawValue)\(count == 0 ? "" : ":")"
    )
    for row in report.rows {
      var reasons: [String] = []
      if !row.embedding.isEmpty { reasons.append("embedding: " + row.embedding.map(\.label).joined(separator: ", ")) }
      if !row.head.isEmpty { reasons.append("head: " + row.head.map(\.label).joined(separator: ", ")) }
      let token = row.token.map { " " + JSONWriter.quoted($0) } ?? ""
      lines.append("  \(row.id)\(token)\(reasons.isEmpty ? "" : " (" + reasons.joined(separator: "; ") + ")")")
    }
    if !report.changed.isEmpty {
      lines.append(
        "Changed: \(report.changed.joined(separator: ", "))\(report.tied ? " (head tied to the embedding)" : "").")
    }
    for note in report.notes { lines.append("Note: \(note).") }
    if report.written {
      lines.append("Wrote \(report.output).")
    } else {
      lines.append(dryRun ? "Nothing written (dry run); output would be \(report.output)." : "Nothing written.")
    }
    return lines.joined(separator: "\n")
  }
}

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
      only; the rest of the checkpoint is copied unchanged. Nothing is written when no row is flagged. \
      Without --output the result goes beside the input (NAME-fixed.safetensors for a file, DIR-fixed for a \
      folder). The input is never written, except with --in-place, which replaces it only once the new \
      checkpoint is complete.
      """
  )

  @Argument(help: "A .safetensors file, a model folder, or a Hugging Face repository id in the local cache.")
  var model: String

  @OptionGroup var location: ModelLocationOptions

  @OptionGroup var destination: DestinationOptions

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
    try outputOptions.run(planning: makePlan, into: destination) {
      FixUntrainedSummary(report: $0, dryRun: $1).text
    }
  }

  private func makePlan() throws(SurgeryError) -> FixUntrainedPlan {
    let checkpoint = try location.open(model, tokenizer: tokenizer)
    let request = FixUntrainedRequest(
      ids: ids?.ids, initialization: initialization, seed: seed,
      noiseScale: noiseScale, embeddingName: tensors.embedding, headName: tensors.head)
    return try FixUntrainedPlan(model: checkpoint, request: request)
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
    if !report.resized.isEmpty {
      lines.append(
        "Changed: \(report.resized.joined(separator: ", "))\(report.tied ? " (head tied to the embedding)" : "").")
    }
    lines += SurgerySummary.ending(notes: report.notes, written: report.written, output: report.output, dryRun: dryRun)
    return lines.joined(separator: "\n")
  }
}

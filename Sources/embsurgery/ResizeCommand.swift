import ArgumentParser
import EmbeddingSurgery
import StrictJSON
import SystemPackage

/// `embsurgery resize`: add tokens to a checkpoint.
struct Resize: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "resize",
    abstract:
      "Add tokens: grow the embedding (and an untied head), initialize the new rows, update the tokenizer and config.",
    discussion: """
      MODEL is a .safetensors file or a model folder. Without --output the result goes beside the input \
      (NAME-resized.safetensors for a file, DIR-resized for a folder). The input is never written, except \
      with --in-place, which replaces it only once the new checkpoint is complete.
      """
  )

  @Argument(help: "A .safetensors file, a model folder, or a Hugging Face repository id in the local cache.")
  var model: String

  @OptionGroup var location: ModelLocationOptions

  @Option(
    help: "The new tokens: a UTF-8 file with one token per line, or a .json array of strings; - reads standard input.")
  var tokens: String

  @Option(
    help:
      "How standard input (--tokens -) holds the tokens: lines or json (default: lines; a file goes by its extension).")
  var tokensFormat: TokenList.Format?

  @OptionGroup var destination: DestinationOptions

  @Option(name: .customLong("init"), help: "How new rows are initialized: mean, nearest, random, zeros or mvn.")
  var initialization: InitializationRule = .mean

  @Flag(help: "Add the tokens as special tokens.")
  var special = false

  @Option(help: "Grow the matrix to a multiple of this many rows.")
  var padToMultipleOf: Int?

  @Option(help: "The seed of --init random and --init mvn.")
  var seed: UInt64 = 0

  @Option(help: "The noise of --init mvn has covariance S·Σ of the original rows (transformers uses 1e-9).")
  var noiseScale: NoiseScale = .standard

  @Flag(
    help:
      "Put new tokens into reserved placeholder slots (<unusedN>, <|reserved_special_token_N|>, [unusedN], ...) before growing the matrix."
  )
  var reuseReserved = false

  @OptionGroup var modelOptions: ModelOptions

  @OptionGroup var outputOptions: OutputOptions

  func validate() throws {
    if tokensFormat != nil, tokens != "-" {
      throw ValidationError("--tokens-format is for --tokens -")
    }
    if let padToMultipleOf, padToMultipleOf < 1 {
      throw ValidationError("--pad-to-multiple-of must be at least 1")
    }
  }

  func run() throws {
    try outputOptions.run(planning: makePlan, into: destination) {
      ResizeSummary(report: $0, dryRun: $1).text
    }
  }

  private func makePlan() throws(SurgeryError) -> ResizePlan {
    let list = try TokenList(contentsOf: FilePath(tokens), format: tokensFormat)
    guard !list.tokens.isEmpty else { throw .noTokens(path: FilePath(tokens)) }
    let checkpoint = try location.open(model, tokenizer: modelOptions.tokenizer)
    var request = ResizeRequest(
      tokens: list.tokens, tokenSource: tokens, initialization: initialization, special: special,
      padToMultipleOf: padToMultipleOf, seed: seed, embeddingName: modelOptions.tensors.embedding,
      headName: modelOptions.tensors.head)
    request.noiseScale = noiseScale
    request.reuseReserved = reuseReserved
    return try ResizePlan(model: checkpoint, request: request)
  }
}

/// The human summary of a resize.
struct ResizeSummary {
  let report: ResizeReport
  let dryRun: Bool

  var text: String {
    var lines: [String] = []
    let verb = dryRun ? "Would add" : "Added"
    let ids = report.newIDs
    let range = ids.isEmpty ? "" : ids.count == 1 ? " (id \(ids[0]))" : " (ids \(ids.first ?? 0)…\(ids.last ?? 0))"
    lines.append(
      "\(verb) \(ids.count) token\(ids.count == 1 ? "" : "s")\(range); rows \(report.rowsBefore) → \(report.rowsAfter)."
    )
    if !report.resized.isEmpty {
      lines.append(
        "Resized: \(report.resized.joined(separator: ", "))\(report.tied ? " (head tied to the embedding)" : "").")
    }
    for token in report.added {
      if let slot = token.slot {
        lines.append(
          "\(JSONWriter.quoted(token.token.text)) took reserved slot \(JSONWriter.quoted(slot)) (id \(token.token.id))."
        )
      }
    }
    for skipped in report.skipped {
      lines.append("Skipped \(JSONWriter.quoted(skipped.token)): \(skipped.reason).")
    }
    lines += SurgerySummary.ending(notes: report.notes, written: report.written, output: report.output, dryRun: dryRun)
    return lines.joined(separator: "\n")
  }
}

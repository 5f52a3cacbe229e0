import ArgumentParser
import EmbeddingSurgery
import StrictJSON
import SystemPackage

/// `embsurgery trim`: shrink the vocabulary to what a corpus uses.
struct Trim: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "trim",
    abstract:
      "Shrink the vocabulary to the tokens a corpus uses: fewer rows, the same encodings and logits on that text.",
    discussion: """
      MODEL is a model folder (a bare .safetensors file needs --tokenizer, and then only the safetensors file \
      is written). Each non-empty line of a --corpus file is one text; a .jsonl file holds one JSON object per \
      line whose "text" member is the text. The corpus is encoded with the model's own tokenizer. Kept: every \
      token the corpus uses (at least --min-count times), every --keep token, every added and special token, \
      every token the config files, the post-processor or the chat template name, and what the tokenizer \
      needs to encode any text (byte tokens, single characters, merge paths). New ids are dense and keep the \
      old order; the tokenizer files and config.json are renumbered. Without --output the result goes beside \
      the input (DIR-trimmed).
      """
  )

  @Argument(help: "A model folder (or a .safetensors file with --tokenizer).")
  var model: String

  @OptionGroup var location: ModelLocationOptions

  @OptionGroup var corpusOptions: CorpusOptions

  @Option(help: "Tokens to keep whatever the corpus says: a file with one vocabulary token per line, or a .json array.")
  var keep: String?

  @Option(help: "A token to keep whatever the corpus says (a vocabulary string). Repeatable; added to --keep.")
  var keepToken: [String] = []

  @Option(help: "Keep a corpus token only when it is used at least this many times.")
  var minCount: Int = 1

  @OptionGroup var destination: DestinationOptions

  @OptionGroup var modelOptions: ModelOptions

  @OptionGroup var outputOptions: OutputOptions

  func validate() throws {
    if corpusOptions.corpus.isEmpty {
      throw ValidationError("--corpus is required (an empty file keeps only the base vocabulary)")
    }
    if minCount < 1 { throw ValidationError("--min-count must be at least 1") }
    try corpusOptions.validateFormat()
  }

  func run() throws {
    try outputOptions.run(planning: makePlan, into: destination) {
      TrimSummary(report: $0, dryRun: $1).text
    }
  }

  private func makePlan() throws(SurgeryError) -> TrimPlan {
    let listed = try keep.map { (path) throws(SurgeryError) in try TokenList(contentsOf: FilePath(path)).tokens } ?? []
    let checkpoint = try location.open(model, tokenizer: modelOptions.tokenizer)
    var request = TrimRequest(
      corpora: corpusOptions.sources, keep: listed + keepToken,
      keepSource: keep ?? (keepToken.isEmpty ? nil : "--keep-token"),
      minimumCount: minCount, embeddingName: modelOptions.tensors.embedding, headName: modelOptions.tensors.head)
    request.standardInputFormat = corpusOptions.corpusFormat
    return try TrimPlan(model: checkpoint, request: request)
  }
}

/// The human summary of a trim.
struct TrimSummary {
  let report: TrimReport
  let dryRun: Bool

  var text: String {
    var lines: [String] = []
    let verb = dryRun ? "Would keep" : report.written ? "Kept" : "Keeps"
    lines.append(
      "\(verb) \(report.kept) tokens, removing \(report.removed); rows \(report.rowsBefore) → \(report.rowsAfter), tensor data \(ByteSize.text(report.bytesBefore)) → \(ByteSize.text(report.bytesAfter))."
    )
    if !report.resized.isEmpty, report.written || dryRun {
      lines.append("Trimmed: \(report.resized.joined(separator: ", ")).")
    }
    for token in report.skipped {
      lines.append("Skipped \(JSONWriter.quoted(token)): not in the vocabulary.")
    }
    lines += SurgerySummary.ending(notes: report.notes, written: report.written, output: report.output, dryRun: dryRun)
    return lines.joined(separator: "\n")
  }
}

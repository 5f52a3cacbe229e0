import ArgumentParser
import EmbeddingSurgery
import StrictJSON
import SystemPackage

/// `embsurgery extend`: grow a BPE vocabulary with merges learned from a corpus or made for words.
struct Extend: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "extend",
    abstract:
      "Grow a BPE vocabulary with real merges: learned from a corpus (continued BPE) or made for given words; new tokens get rows.",
    discussion: """
      MODEL is a model folder with a BPE tokenizer.json (byte-level, or SentencePiece-style with its \
      tokenizer.model). With --corpus and --add N, the corpus is encoded with the model's own tokenizer and N \
      times the most frequent adjacent pair of tokens inside a word (ties: the smallest left id, then right id) \
      becomes a merge, until the best pair occurs fewer than --min-count times. With --words, each line (or \
      .json array entry) becomes one token through a chain of merges. The new merges go after every old one, \
      so no text gets more tokens than before; new tokens take ids after the largest id in use, their rows by \
      --init (nearest: the mean of the rows of their old pieces). Without --output the result goes beside the \
      input (DIR-extended).
      """
  )

  @Argument(help: "A model folder, or a Hugging Face repository id in the local cache.")
  var model: String

  @OptionGroup var location: ModelLocationOptions

  @OptionGroup var corpusOptions: CorpusOptions

  @Option(help: "How many merges to learn from the corpus.")
  var add: Int?

  @Option(help: "Stop learning when the most frequent pair occurs fewer times than this.")
  var minCount: Int = 2

  @Option(help: "Strings to make one token each: a file with one per line (spaces kept), or a .json array.")
  var words: String?

  @OptionGroup var destination: DestinationOptions

  @Option(name: .customLong("init"), help: "How new rows are initialized: nearest, mean, random, zeros or mvn.")
  var initialization: InitializationRule = .nearest

  @Option(help: "Grow the matrix to a multiple of this many rows.")
  var padToMultipleOf: Int?

  @Option(help: "The seed of --init random and --init mvn.")
  var seed: UInt64 = 0

  @Option(help: "The noise of --init mvn has covariance S·Σ of the original rows.")
  var noiseScale: NoiseScale = .standard

  @OptionGroup var tensors: TensorOptions

  @OptionGroup var outputOptions: OutputOptions

  func validate() throws {
    if words == nil {
      if corpusOptions.corpus.isEmpty {
        throw ValidationError("--corpus is required to learn merges (or give --words)")
      }
      // --add below 1 is the library's error (one line naming the model).
      if add == nil { throw ValidationError("--add is required with --corpus (the number of merges to learn)") }
    } else if add != nil {
      throw ValidationError("--add and --words cannot be used together")
    }
    if minCount < 1 { throw ValidationError("--min-count must be at least 1") }
    try corpusOptions.validateFormat()
    if let padToMultipleOf, padToMultipleOf < 1 { throw ValidationError("--pad-to-multiple-of must be at least 1") }
  }

  func run() throws {
    try outputOptions.run(planning: makePlan, into: destination) {
      ExtendSummary(report: $0, dryRun: $1).text
    }
  }

  private func makePlan() throws(SurgeryError) -> ExtendPlan {
    let wordList = try words.map { (path) throws(SurgeryError) in try TokenList(contentsOf: FilePath(path)).tokens }
    if let words, wordList?.isEmpty == true { throw .noTokens(path: FilePath(words)) }
    let checkpoint = try location.open(model)
    var request = ExtendRequest(
      corpora: corpusOptions.sources, merges: add ?? 0, minimumCount: minCount, words: wordList,
      initialization: initialization,
      padToMultipleOf: padToMultipleOf, seed: seed, embeddingName: tensors.embedding, headName: tensors.head)
    request.noiseScale = noiseScale
    request.standardInputFormat = corpusOptions.corpusFormat
    return try ExtendPlan(model: checkpoint, request: request)
  }
}

/// The human summary of an extend.
struct ExtendSummary {
  let report: ExtendReport
  let dryRun: Bool

  var text: String {
    var lines: [String] = []
    let merges = report.merges.count
    let tokens = report.newTokens.count
    let ids =
      report.newTokens.isEmpty
      ? "" : " (ids \(report.newTokens.first?.id ?? 0)…\(report.newTokens.last?.id ?? 0))"
    lines.append(
      "\(dryRun ? "Would add" : report.written ? "Added" : "Adds") \(merges) merge\(merges == 1 ? "" : "s") and \(tokens) token\(tokens == 1 ? "" : "s")\(ids); rows \(report.rowsBefore) → \(report.rowsAfter)."
    )
    if report.corpusTexts > 0 {
      func perToken(_ tokens: Int) -> String {
        guard tokens > 0 else { return "-" }
        let hundredths = Int((Double(report.corpusBytes) / Double(tokens) * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
      }
      lines.append(
        "Corpus: \(report.corpusTexts) texts, \(report.corpusBytes) bytes; tokens \(report.tokensBefore) → \(report.tokensAfter); bytes per token \(perToken(report.tokensBefore)) → \(perToken(report.tokensAfter))."
      )
    }
    let shown = zip(report.merges, report.readableTokens).filter {
      $0.0.count > 0 || $0.0.token.id >= report.rowsBefore
    }
    .prefix(12).map { "\(JSONWriter.quoted($1)) (\($0.token.id))" }
    if !shown.isEmpty {
      lines.append("New tokens: \(shown.joined(separator: ", "))\(report.merges.count > shown.count ? ", …" : "").")
    }
    if !report.resized.isEmpty, report.written || dryRun {
      lines.append("Resized: \(report.resized.joined(separator: ", ")).")
    }
    for skipped in report.skipped { lines.append("Skipped \(JSONWriter.quoted(skipped.token)): \(skipped.reason).") }
    lines += SurgerySummary.ending(notes: report.notes, written: report.written, output: report.output, dryRun: dryRun)
    return lines.joined(separator: "\n")
  }
}

import ArgumentParser
import EmbeddingSurgery

/// `--corpus` and `--corpus-format`, as trim and extend read a corpus.
struct CorpusOptions: ParsableArguments {
  @Option(
    help:
      "A corpus file: one text per line, or a .jsonl file of {\"text\": ...} objects; - reads standard input. Repeatable."
  )
  var corpus: [String] = []

  @Option(
    help:
      "How standard input (--corpus -) holds its texts: lines or jsonl (default: lines; files go by their extension).")
  var corpusFormat: CorpusFormat?

  /// The corpora as the library reads them (`-` is standard input).
  var sources: [CorpusSource] { corpus.map(CorpusSource.init(argument:)) }

  /// `--corpus-format` only says how standard input is read.
  func validateFormat() throws {
    if corpusFormat != nil, !corpus.contains("-") { throw ValidationError("--corpus-format is for --corpus -") }
  }
}

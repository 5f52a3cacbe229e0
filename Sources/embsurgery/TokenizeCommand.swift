import ArgumentParser
import EmbeddingSurgery
import StrictJSON
import SystemPackage
import Tokenization

/// `embsurgery tokenize`: encodes texts with a tokenizer.json file, as the HF `tokenizers`
/// library does, without special tokens.
struct Tokenize: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tokenize",
    abstract: "Encode texts with a tokenizer.json file (no special tokens added).",
    discussion: """
      Prints, for each text, its token ids and token strings. With --json, prints one compact \
      JSON object: {"schema_version":1,"texts":[{"text":...,"ids":[...],"tokens":[...]}]}.
      """
  )

  @Option(name: .long, help: ArgumentHelp("The tokenizer.json file.", valueName: "path"))
  var tokenizer: String

  @Flag(name: .long, help: "Print one JSON object instead of text.")
  var json = false

  @Argument(
    help: ArgumentHelp(
      "The texts to encode (put -- before texts that start with -).", valueName: "text"))
  var texts: [String] = []

  func run() throws {
    var report = TokenizeReport(texts: [])
    do {
      let encoder = try Tokenizer(contentsOf: FilePath(tokenizer))
      for text in texts {
        let encoding = try encoder.encode(text)
        report.texts.append(TokenizeReport.Text(text: text, ids: encoding.ids, tokens: encoding.tokens))
      }
    } catch {
      throw CommandFailure(kind: "tokenization", path: error.path.string, message: error.description)
    }
    try CommandOutput.print(report, json: json, text: report.text)
  }
}

/// What `tokenize` prints: each text with its ids and tokens.
///
/// JSON: `{"schema_version", "texts": [{"text", "ids", "tokens"}]}`.
struct TokenizeReport: SurgeryReport {
  /// One encoded text.
  struct Text: Encodable {
    var text: String
    var ids: [Int]
    var tokens: [String]
  }

  /// The texts, in the order given.
  var texts: [Text]

  /// Three lines a text (`text:`, `ids:`, `tokens:`), texts separated by an empty line.
  var text: String {
    texts.map { entry in
      [
        "text: \(JSONWriter.quoted(entry.text))",
        "ids: \(entry.ids.map(String.init).joined(separator: " "))",
        "tokens: \(entry.tokens.map(JSONWriter.quoted).joined(separator: " "))",
      ].joined(separator: "\n")
    }.joined(separator: "\n\n")
  }
}

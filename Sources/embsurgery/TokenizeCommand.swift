import ArgumentParser
import StrictJSON
import Tokenization

/// `embsurgery tokenize`: encodes texts with a tokenizer.json file, as the HF `tokenizers`
/// library does, without special tokens.
struct Tokenize: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tokenize",
    abstract: "Encode texts with a tokenizer.json file (no special tokens added).",
    discussion: """
      Prints, for each text, its token ids and token strings. With --json, prints one compact \
      JSON array: [{"text":...,"ids":[...],"tokens":[...]}].
      """
  )

  @Option(name: .long, help: ArgumentHelp("The tokenizer.json file.", valueName: "path"))
  var tokenizer: String

  @Flag(name: .long, help: "Print one JSON array instead of text.")
  var json = false

  @Argument(
    help: ArgumentHelp(
      "The texts to encode (put -- before texts that start with -).", valueName: "text"))
  var texts: [String] = []

  func run() throws {
    let encoder: Tokenizer
    var encodings: [Encoding] = []
    do {
      encoder = try Tokenizer(contentsOf: tokenizer)
      for text in texts { encodings.append(try encoder.encode(text)) }
    } catch {
      throw CommandOutput.failure("\(error)")
    }
    if json {
      let value = JSONValue.array(
        zip(texts, encodings).map { text, encoding in
          .object([
            JSONMember("text", .string(text)),
            JSONMember("ids", .array(encoding.ids.map { .number(JSONNumber($0)) })),
            JSONMember("tokens", .array(encoding.tokens.map { .string($0) })),
          ])
        })
      print(JSONWriter.string(value, style: .compact))
    } else {
      var lines: [String] = []
      for (index, (text, encoding)) in zip(texts, encodings).enumerated() {
        if index > 0 { lines.append("") }
        lines.append("text: \(JSONWriter.quoted(text))")
        lines.append("ids: \(encoding.ids.map(String.init).joined(separator: " "))")
        lines.append("tokens: \(encoding.tokens.map(JSONWriter.quoted).joined(separator: " "))")
      }
      if !lines.isEmpty { print(lines.joined(separator: "\n")) }
    }
  }
}

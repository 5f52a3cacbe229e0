import Foundation
import StrictJSON
import TestSupport
import Testing

/// The JSON channel a program reads (issue 17): every document carries `schema_version` and
/// validates against docs/json-schema.json (``TestEnvironment/embsurgery(_:currentDirectory:standardInput:environment:)``
/// checks every `--json` run of every test); failures as JSON on standard output; progress as JSON
/// lines; token lists and corpora on standard input.
@Suite struct JSONChannelTests {
  static let fixture = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/tiny-llama")

  /// The one JSON line of a run's standard output.
  static func document(_ result: TestEnvironment.ProcessResult) throws -> JSONValue {
    #expect(result.stdout.hasSuffix("\n") && result.stdout.filter { $0 == "\n" }.count == 1)
    let value = try JSONParser.parse(Array(result.stdout.utf8))
    #expect(value.members?.first?.key == "schema_version")
    #expect(value["schema_version"]?.number?.int == 1)
    return value
  }

  @Test func theSchemaDescribesEveryDocumentAndItsOwnVersion() throws {
    let check = try JSONSchemaCheck.committed.get()
    #expect(
      check.documentNames == [
        "inspect", "audit", "diff", "resize", "fix-untrained", "trim", "extend", "transplant", "tokenize", "error",
        "progress",
      ])
    #expect(check.schema["schema_version"]?.number?.int == 1)
    // The check can fail: a missing member, a member out of order, a wrong type, an extra member.
    let good: JSONValue = .object([
      JSONMember("schema_version", 1), JSONMember("done", 3), JSONMember("total", 9), JSONMember("unit", "bytes"),
    ])
    #expect(check.problems(good, document: "progress").isEmpty)
    guard case .object(let members) = good else { return }
    #expect(!check.problems(.object(Array(members.dropLast())), document: "progress").isEmpty)
    #expect(!check.problems(.object(members.reversed()), document: "progress").isEmpty)
    #expect(!check.problems(.object(members + [JSONMember("extra", 1)]), document: "progress").isEmpty)
    var wrongType = members
    wrongType[1].value = "3"
    #expect(!check.problems(.object(wrongType), document: "progress").isEmpty)
  }

  @Test func resizeJSONCarriesTheNotesOfTheTextSummary() throws {
    let scratch = try ScratchDirectory()
    let output = scratch.path("out.safetensors").path
    let arguments = [
      "resize", Self.fixture.appendingPathComponent("model.safetensors").path, "--tokens", "-", "--tokenizer",
      Self.fixture.appendingPathComponent("tokenizer.json").path, "--output", output,
    ]
    let json = try TestEnvironment.embsurgery(arguments + ["--json"], standardInput: Data("<|x|>\n".utf8))
    #expect(json.status == 0, "\(json.stderr)")
    let report = try Self.document(json)
    let notes = (report["notes"]?.elements ?? []).compactMap { $0.string }
    #expect(notes == ["the tokenizer files were left unchanged (only the safetensors file is written)"])
    #expect(report["written"] == true)
    let text = try TestEnvironment.embsurgery(arguments + ["--force"], standardInput: Data("<|x|>\n".utf8))
    #expect(text.status == 0, "\(text.stderr)")
    for note in notes { #expect(text.stdout.contains("Note: \(note).")) }
  }

  @Test func tokensAndCorpusComeFromStandardInput() throws {
    let scratch = try ScratchDirectory()
    // A JSON array on standard input: tokens with a newline and a leading dash survive.
    let tokens = try TestEnvironment.embsurgery(
      [
        "resize", Self.fixture.path, "--tokens", "-", "--tokens-format", "json", "--output", scratch.path("a").path,
        "--dry-run", "--json",
      ], standardInput: Data(#"["line\nbreak", "-dash", "<|y|>"]"#.utf8))
    #expect(tokens.status == 0, "\(tokens.stderr)")
    let added = try Self.document(tokens)["added"]?.elements?.compactMap { $0["token"]?.string }
    #expect(added == ["line\nbreak", "-dash", "<|y|>"])
    // A .jsonl corpus on standard input gives the report a file would.
    let corpus = scratch.path("corpus.jsonl")
    let lines = #"{"text": "Hello world"}"# + "\n" + #"{"text": "the model\nsays hi"}"# + "\n"
    try Data(lines.utf8).write(to: corpus)
    let fromFile = try TestEnvironment.embsurgery([
      "trim", Self.fixture.path, "--corpus", corpus.path, "--output", scratch.path("t").path, "--dry-run", "--json",
    ])
    let fromInput = try TestEnvironment.embsurgery(
      [
        "trim", Self.fixture.path, "--corpus", "-", "--corpus-format", "jsonl", "--output", scratch.path("t").path,
        "--dry-run", "--json",
      ], standardInput: Data(lines.utf8))
    #expect(fromFile.status == 0 && fromInput.status == 0, "\(fromFile.stderr) \(fromInput.stderr)")
    #expect(fromFile.stdout == fromInput.stdout)
    #expect(try Self.document(fromInput)["corpus"]?["texts"]?.number?.int == 2)
  }

  @Test func failuresArePrintedAsJSONOnStandardOutput() throws {
    let scratch = try ScratchDirectory()
    let missing = scratch.path("missing.txt").path
    let failed = try TestEnvironment.embsurgery(["resize", Self.fixture.path, "--tokens", missing, "--json"])
    #expect(failed.status == 1)
    #expect(failed.stderr == "error: \(missing): open failed: No such file or directory (ENOENT)\n")
    let error = try #require(try Self.document(failed)["error"])
    #expect(error.members?.map(\.key) == ["kind", "path", "message"])
    #expect(error["kind"] == "file_system")
    #expect(error["path"]?.string == missing)
    #expect(error["message"]?.string == "\(missing): open failed: No such file or directory (ENOENT)")
    // A refused command line: usage, status 64, the argument parser's first line.
    let usage = try TestEnvironment.embsurgery(["resize", Self.fixture.path, "--json"])
    #expect(usage.status == 64)
    let refused = try #require(try Self.document(usage)["error"])
    #expect(refused["kind"] == "usage" && refused["path"] == .null)
    #expect(refused["message"]?.string == "Missing expected argument '--tokens <tokens>'")
    // Without --json, standard output stays empty.
    let plain = try TestEnvironment.embsurgery(["resize", Self.fixture.path, "--tokens", missing])
    #expect(plain.status == 1 && plain.stdout.isEmpty)
    // inspect, audit, diff and tokenize fail the same way.
    for arguments in [
      ["inspect", missing], ["audit", missing], ["diff", missing, Self.fixture.path],
      ["tokenize", "--tokenizer", missing, "x"],
    ] {
      let result = try TestEnvironment.embsurgery(arguments + ["--json"])
      #expect(result.status == 1)
      #expect(try Self.document(result)["error"]?["path"]?.string == missing, "\(arguments)")
    }
  }

  @Test func progressIsOneJSONObjectAStepOnStandardError() throws {
    let scratch = try ScratchDirectory()
    let result = try TestEnvironment.embsurgery([
      "resize", Self.fixture.path, "--tokens",
      TestEnvironment.repositoryRoot.appendingPathComponent(
        "Fixtures/new-tokens.txt"
      ).path, "--output", scratch.path("out").path, "--progress", "jsonl", "--json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stderr.split(separator: "\n")
    #expect(!lines.isEmpty)  // this small checkpoint is written in one step
    var last = -1
    for line in lines {
      let value = try JSONParser.parse(Array(line.utf8))
      #expect(value.members?.map(\.key) == ["schema_version", "done", "total", "unit"])
      let done = try #require(value["done"]?.number?.int)
      #expect(done > last)
      last = done
    }
    let final = try JSONParser.parse(Array((lines.last ?? "").utf8))
    #expect(final["done"] == final["total"])
    _ = try Self.document(result)
  }
}

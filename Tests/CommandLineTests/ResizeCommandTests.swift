import Foundation
import StrictJSON
import TestSupport
import Testing

/// `embsurgery resize` as a user runs it, on the fixture the project ships.
@Suite struct ResizeCommandTests {
  let fixture = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/tiny-llama")
  let tokens = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/new-tokens.txt")

  func copyFixture(to scratch: ScratchDirectory) throws -> URL {
    let folder = scratch.path("tiny-llama")
    try FileManager.default.copyItem(at: fixture, to: folder)
    return folder
  }

  @Test func jsonReportOnTheFixture() throws {
    let scratch = try ScratchDirectory()
    let output = scratch.path("out").path
    let result = try TestEnvironment.embsurgery([
      "resize", fixture.path, "--tokens", tokens.path, "--output", output, "--json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.isEmpty)
    let report = try JSONParser.parse(Array(result.stdout.utf8))
    #expect(
      report.members?.map(\.key) == [
        "schema_version", "added", "skipped", "rows_before", "rows_after", "resized", "tied", "output", "written",
        "notes",
      ])
    #expect(report["added"]?.elements?.compactMap { $0["id"]?.number?.int } == [320, 321, 322, 323])
    #expect(report["added"]?.elements?.first?.members?.map(\.key) == ["token", "id", "init", "pieces", "slot"])
    #expect(report["rows_after"]?.number?.int == 324)
    #expect(report["tied"] == false)
    #expect(report["output"]?.string == output)
    #expect(FileManager.default.fileExists(atPath: output + "/model.safetensors"))
  }

  @Test func bareFileGoesBesideTheInputByDefault() throws {
    let scratch = try ScratchDirectory()
    let folder = try copyFixture(to: scratch)
    let result = try TestEnvironment.embsurgery([
      "resize", folder.appendingPathComponent("model.safetensors").path, "--tokens", tokens.path,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let expected = folder.appendingPathComponent("model-resized.safetensors").path
    #expect(FileManager.default.fileExists(atPath: expected))
    #expect(result.stdout.contains("Wrote \(expected)."))
    #expect(result.stdout.contains("tokenizer files were left unchanged"))
    // Only the safetensors file was written.
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    #expect(
      names == [
        "config.json", "model-resized.safetensors", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
      ])
  }

  @Test func folderDefaultOutputAndRefusalToOverwrite() throws {
    let scratch = try ScratchDirectory()
    let folder = try copyFixture(to: scratch)
    let first = try TestEnvironment.embsurgery(["resize", folder.path, "--tokens", tokens.path, "--quiet"])
    #expect(first.status == 0, "\(first.stderr)")
    let output = folder.path + "-resized"
    #expect(FileManager.default.fileExists(atPath: output + "/tokenizer.json"))
    let before = try Data(contentsOf: URL(fileURLWithPath: output + "/model.safetensors"))
    let second = try TestEnvironment.embsurgery(["resize", folder.path, "--tokens", tokens.path])
    #expect(second.status == 1)
    #expect(second.stderr == "error: \(output): already exists (use --force to replace it)\n")
    #expect(try Data(contentsOf: URL(fileURLWithPath: output + "/model.safetensors")) == before)
    let forced = try TestEnvironment.embsurgery([
      "resize", folder.path, "--tokens", tokens.path, "--force", "--init", "zeros",
    ])
    #expect(forced.status == 0, "\(forced.stderr)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: output + "/model.safetensors")) != before)
    // No temporary files are left beside the output.
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0.hasPrefix(".") }
    #expect(leftovers.isEmpty)
  }

  @Test func outputInsideOrEqualToTheInputIsRefused() throws {
    let scratch = try ScratchDirectory()
    let folder = try copyFixture(to: scratch)
    let inside = try TestEnvironment.embsurgery([
      "resize", folder.path, "--tokens", tokens.path, "--output", folder.path + "/sub",
    ])
    #expect(inside.status == 1)
    #expect(inside.stderr.hasPrefix("error: \(folder.path)/sub: is inside the input folder"))
    let same = try TestEnvironment.embsurgery(["resize", folder.path, "--tokens", tokens.path, "--output", folder.path])
    #expect(same.status == 1)
    #expect(same.stderr.contains("use --in-place"))
    #expect(!FileManager.default.fileExists(atPath: folder.path + "/sub"))
  }

  @Test func inPlaceReplacesTheInputOnlyWhenComplete() throws {
    let scratch = try ScratchDirectory()
    let folder = try copyFixture(to: scratch)
    let result = try TestEnvironment.embsurgery([
      "resize", folder.path, "--tokens", tokens.path, "--in-place", "--json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let config = try JSONParser.parse(Array(try Data(contentsOf: folder.appendingPathComponent("config.json"))))
    #expect(config["vocab_size"]?.number?.int == 324)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path)
    #expect(leftovers == ["tiny-llama"])
  }

  @Test func dryRunWritesNothing() throws {
    let scratch = try ScratchDirectory()
    let output = scratch.path("out").path
    let result = try TestEnvironment.embsurgery([
      "resize", fixture.path, "--tokens", tokens.path, "--output", output, "--dry-run",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("Would add 4 tokens (ids 320…323); rows 320 → 324."))
    #expect(!FileManager.default.fileExists(atPath: output))
  }

  @Test func badInputIsOneErrorLine() throws {
    let scratch = try ScratchDirectory()
    let badTokens = scratch.path("bad.txt")
    try Data([0x61, 0x0A, 0xFF, 0x0A]).write(to: badTokens)
    let cases: [([String], String)] = [
      (["resize", fixture.path, "--tokens", badTokens.path], "error: \(badTokens.path): line 2 is not valid UTF-8\n"),
      (
        ["resize", scratch.path("missing").path, "--tokens", tokens.path],
        "error: \(scratch.path("missing").path): open failed: No such file or directory (ENOENT)\n"
      ),
      (
        ["resize", fixture.path, "--tokens", tokens.path, "--embedding", "nope"],
        "error: \(fixture.path): no tensor named 'nope'\n"
      ),
    ]
    for (arguments, expected) in cases {
      let result = try TestEnvironment.embsurgery(arguments + ["--output", scratch.path("out").path])
      #expect(result.status == 1)
      #expect(result.stderr == expected)
      #expect(result.stdout.isEmpty)
      #expect(!FileManager.default.fileExists(atPath: scratch.path("out").path))
    }
  }
}

@Suite struct ResizeInitializationCommandTests {
  let fixture = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/tiny-llama")
  let tokens = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/new-tokens.txt")

  @Test func nearestReportsPiecesFromTheOriginalTokenizer() throws {
    let scratch = try ScratchDirectory()
    let result = try TestEnvironment.embsurgery([
      "resize", fixture.path, "--tokens", tokens.path, "--init", "nearest", "--output", scratch.path("out").path,
      "--json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try JSONParser.parse(Array(result.stdout.utf8))
    let python = """
      import json, sys
      from tokenizers import Tokenizer
      tok = Tokenizer.from_file(sys.argv[1])
      print(json.dumps([tok.encode(t, add_special_tokens=False).ids for t in sys.argv[2:]]))
      """
    let tokenList = ["<|AtLocation|>", "<|UsedFor|>", "<|IsA|>", "knowledge graph"]
    let expected = try JSONParser.parse(
      Array(
        try TestEnvironment.runPython(
          python, arguments: [fixture.appendingPathComponent("tokenizer.json").path] + tokenList)))
    #expect(report["added"]?.elements?.compactMap { $0["pieces"] } == expected.elements)
    #expect(report["added"]?.elements?.allSatisfy { $0["init"]?.string == "nearest" } == true)
  }

  @Test func nearestWithoutATokenizerIsAClearError() throws {
    let scratch = try ScratchDirectory()
    let file = scratch.path("model.safetensors")
    try FileManager.default.copyItem(at: fixture.appendingPathComponent("model.safetensors"), to: file)
    let result = try TestEnvironment.embsurgery(["resize", file.path, "--tokens", tokens.path, "--init", "nearest"])
    #expect(result.status == 1)
    #expect(
      result.stderr
        == "error: \(file.path): --init nearest needs a tokenizer.json (beside the model or given with --tokenizer)\n")
  }

  @Test func padToMultipleOfAndSeedOnTheCommandLine() throws {
    let scratch = try ScratchDirectory()
    var outputs: [Data] = []
    for (name, seed) in [("a", "7"), ("b", "7")] {
      let result = try TestEnvironment.embsurgery([
        "resize", fixture.path, "--tokens", tokens.path, "--init", "random", "--seed", seed,
        "--pad-to-multiple-of", "64", "--output", scratch.path(name).path, "--json",
      ])
      #expect(result.status == 0, "\(result.stderr)")
      #expect(try JSONParser.parse(Array(result.stdout.utf8))["rows_after"]?.number?.int == 384)
      outputs.append(try Data(contentsOf: scratch.path("\(name)/model.safetensors")))
    }
    #expect(outputs[0] == outputs[1])
  }
}

@Suite struct ResizeRefusalTests {
  let fixture = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/tiny-llama")
  let tokens = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/new-tokens.txt")

  @Test func withoutATokenizerIdsStartAtTheRowCount() throws {
    let scratch = try ScratchDirectory()
    let file = scratch.path("model.safetensors")
    try FileManager.default.copyItem(at: fixture.appendingPathComponent("model.safetensors"), to: file)
    let result = try TestEnvironment.embsurgery([
      "resize", file.path, "--tokens", tokens.path, "--json", "--pad-to-multiple-of", "8",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try JSONParser.parse(Array(result.stdout.utf8))
    #expect(report["added"]?.elements?.compactMap { $0["id"]?.number?.int } == [320, 321, 322, 323])
    #expect(report["rows_after"]?.number?.int == 328)
    #expect(report["output"]?.string == scratch.path("model-resized.safetensors").path)
  }

  @Test func contradictoryOrEmptyRequests() throws {
    let scratch = try ScratchDirectory()
    let empty = scratch.path("empty.txt")
    try Data("\n\r\n\n".utf8).write(to: empty)
    let cases: [([String], String)] = [
      (["--tokens", empty.path], "error: \(empty.path): no tokens to add (the file has no non-empty line)\n"),
      (
        ["--tokens", tokens.path, "--output", scratch.path("missing/out").path],
        "error: \(scratch.path("missing/out").path): its folder \(scratch.path("missing").path) does not exist\n"
      ),
    ]
    for (arguments, expected) in cases {
      let result = try TestEnvironment.embsurgery(["resize", fixture.path] + arguments)
      #expect(result.status == 1)
      #expect(result.stderr == expected)
    }
    // Option rules are the argument parser's: a usage error (exit status 64) naming the options.
    let usage: [([String], String)] = [
      (
        ["--tokens", tokens.path, "--in-place", "--output", scratch.path("o").path],
        "Error: --output and --in-place cannot be used together"
      ),
      (
        ["--tokens", tokens.path, "--pad-to-multiple-of", "0", "--output", scratch.path("o").path],
        "Error: --pad-to-multiple-of must be at least 1"
      ),
      (
        ["--tokens", tokens.path, "--noise-scale=-1", "--output", scratch.path("o").path],
        "Error: The value '-1' is invalid for '--noise-scale <noise-scale>'"
      ),
      (
        ["--tokens", tokens.path, "--noise-scale", "nan", "--output", scratch.path("o").path],
        "Error: The value 'nan' is invalid for '--noise-scale <noise-scale>'"
      ),
    ]
    for (arguments, firstLine) in usage {
      let result = try TestEnvironment.embsurgery(["resize", fixture.path] + arguments)
      #expect(result.status == 64)
      #expect(result.stderr.split(separator: "\n").first.map(String.init) == firstLine)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path) == ["empty.txt"])
  }
}

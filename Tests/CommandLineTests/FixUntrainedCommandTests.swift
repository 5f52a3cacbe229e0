import Foundation
import StrictJSON
import TestSupport
import Testing

/// `embsurgery fix-untrained` and `resize --reuse-reserved` / `--init mvn` as a user runs them, on
/// a Llama-3-style folder (all-zero `<|reserved_special_token_N|>` rows) from the Python reference.
@Suite struct FixUntrainedCommandTests {
  func makeLlama3(in scratch: ScratchDirectory) throws -> String {
    let folder = scratch.path("llama3").path
    let script = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Reference/hygiene_reference.py").path
    let spec = JSONValue.object([
      JSONMember("folder", .string(folder)), JSONMember("family", "llama3"), JSONMember("dtype", "BF16"),
      JSONMember("dim", 16), JSONMember("seed", 1),
    ])
    try TestEnvironment.run(try TestEnvironment.python(), [script, "make", JSONWriter.string(spec)])
    return folder
  }

  @Test func jsonReportListsTheAllZeroReservedRows() throws {
    let scratch = try ScratchDirectory()
    let folder = try makeLlama3(in: scratch)
    let output = scratch.path("out").path
    let result = try TestEnvironment.embsurgery(["fix-untrained", folder, "--output", output, "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.isEmpty)
    let report = try JSONParser.parse(Array(result.stdout.utf8))
    #expect(
      report.members?.map(\.key) == [
        "schema_version", "fixed", "init", "resized", "tied", "output", "written", "notes",
      ])
    #expect(report["fixed"]?.elements?.compactMap { $0["id"]?.number?.int } == Array(32..<40))
    #expect(
      report["fixed"]?.elements?.first
        == .object([
          JSONMember("id", 32), JSONMember("token", "<|reserved_special_token_0|>"),
          JSONMember("where", "both"), JSONMember("embedding", .array(["zero"])), JSONMember("head", .array(["zero"])),
        ]))
    #expect(report["written"] == true)
    #expect(FileManager.default.fileExists(atPath: output + "/model.safetensors"))
    let again = try TestEnvironment.embsurgery(["fix-untrained", folder, "--output", output])
    #expect(again.status == 1)
    #expect(again.stderr == "error: \(output): already exists (use --force to replace it)\n")
    let forced = try TestEnvironment.embsurgery([
      "fix-untrained", folder, "--output", output, "--force", "--init", "mvn", "--seed", "3",
    ])
    #expect(forced.status == 0, "\(forced.stderr)")
    #expect(
      forced.stdout.hasPrefix(
        "Re-initialized 8 rows with mvn:\n  32 \"<|reserved_special_token_0|>\" (embedding: all zero; head: all zero)\n"
      ))
  }

  @Test func idsDryRunAndErrors() throws {
    let scratch = try ScratchDirectory()
    let folder = try makeLlama3(in: scratch)
    let output = scratch.path("out").path
    let dry = try TestEnvironment.embsurgery([
      "fix-untrained", folder, "--output", output, "--ids", "3, 4", "--dry-run",
    ])
    #expect(dry.status == 0, "\(dry.stderr)")
    #expect(
      dry.stdout
        == "Would re-initialize 2 rows with mean:\n  3 \"w3\"\n  4 \"w4\"\nChanged: model.embed_tokens.weight, lm_head.weight.\nNothing written (dry run); output would be \(output).\n"
    )
    #expect(!FileManager.default.fileExists(atPath: output))
    let outOfRange = try TestEnvironment.embsurgery(["fix-untrained", folder, "--output", output, "--ids", "40"])
    #expect(outOfRange.status == 1)
    #expect(outOfRange.stderr == "error: \(folder): id 40 is not a row (the embedding has 40 rows)\n")
    // Option rules are the argument parser's: a usage error (exit status 64) naming the option.
    let usage: [([String], String)] = [
      (["--ids", "3,x"], "Error: The value '3,x' is invalid for '--ids <ids>'"),
      (["--ids=-2"], "Error: The value '-2' is invalid for '--ids <ids>'"),
      (["--init", "nearest"], "Error: --init nearest is for new tokens; use mean, random, zeros or mvn"),
    ]
    for (arguments, firstLine) in usage {
      let result = try TestEnvironment.embsurgery(["fix-untrained", folder, "--output", output] + arguments)
      #expect(result.status == 64)
      #expect(result.stderr.split(separator: "\n").first.map(String.init) == firstLine)
      #expect(!FileManager.default.fileExists(atPath: output))
    }
  }

  @Test func defaultOutputGoesBesideTheInput() throws {
    let scratch = try ScratchDirectory()
    let folder = try makeLlama3(in: scratch)
    let first = try TestEnvironment.embsurgery(["fix-untrained", folder, "--quiet", "--json"])
    #expect(first.status == 0, "\(first.stderr)")
    let output = folder + "-fixed"
    #expect(try JSONParser.parse(Array(first.stdout.utf8))["output"]?.string == output)
    #expect(FileManager.default.fileExists(atPath: output + "/model.safetensors"))
    #expect(FileManager.default.fileExists(atPath: output + "/tokenizer.json"))
    // The default output is refused as resize's is when it exists, and replaced with --force.
    let before = try Data(contentsOf: URL(fileURLWithPath: output + "/model.safetensors"))
    let second = try TestEnvironment.embsurgery(["fix-untrained", folder])
    #expect(second.status == 1)
    #expect(second.stderr == "error: \(output): already exists (use --force to replace it)\n")
    #expect(try Data(contentsOf: URL(fileURLWithPath: output + "/model.safetensors")) == before)
    let forced = try TestEnvironment.embsurgery(["fix-untrained", folder, "--force", "--init", "random", "--seed", "5"])
    #expect(forced.status == 0, "\(forced.stderr)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: output + "/model.safetensors")) != before)
    // A bare file: NAME-fixed.safetensors beside it, and nothing else written.
    let file = folder + "/model.safetensors"
    let bare = try TestEnvironment.embsurgery(["fix-untrained", file, "--quiet"])
    #expect(bare.status == 0, "\(bare.stderr)")
    #expect(bare.stdout.hasSuffix("Wrote \(folder)/model-fixed.safetensors.\n"))
    #expect(FileManager.default.fileExists(atPath: folder + "/model-fixed.safetensors"))
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted()
    #expect(leftovers == ["llama3", "llama3-fixed"])
  }

  @Test func inPlaceRewritesTheInput() throws {
    let scratch = try ScratchDirectory()
    let folder = try makeLlama3(in: scratch)
    let elsewhere = scratch.path("out").path
    let copy = try TestEnvironment.embsurgery(["fix-untrained", folder, "--output", elsewhere, "--quiet"])
    #expect(copy.status == 0, "\(copy.stderr)")
    let before = try Data(contentsOf: URL(fileURLWithPath: folder + "/model.safetensors"))
    let result = try TestEnvironment.embsurgery(["fix-untrained", folder, "--in-place", "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try JSONParser.parse(Array(result.stdout.utf8))
    #expect(report["output"]?.string == folder)
    #expect(report["fixed"]?.elements?.count == 8)
    // The input now holds what --output wrote elsewhere, and nothing is left beside it.
    let after = try Data(contentsOf: URL(fileURLWithPath: folder + "/model.safetensors"))
    #expect(after != before)
    #expect(after == (try Data(contentsOf: URL(fileURLWithPath: elsewhere + "/model.safetensors"))))
    #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted() == ["llama3", "out"])
  }

  @Test func outputRefusalsMatchResize() throws {
    let scratch = try ScratchDirectory()
    let folder = try makeLlama3(in: scratch)
    let before = try Data(contentsOf: URL(fileURLWithPath: folder + "/model.safetensors"))
    let both = try TestEnvironment.embsurgery([
      "fix-untrained", folder, "--in-place", "--output", scratch.path("o").path,
    ])
    #expect(both.status == 64)
    #expect(
      both.stderr.split(separator: "\n").first.map(String.init)
        == "Error: --output and --in-place cannot be used together")
    let same = try TestEnvironment.embsurgery(["fix-untrained", folder, "--output", folder])
    #expect(same.status == 1)
    #expect(same.stderr.contains("use --in-place"))
    let inside = try TestEnvironment.embsurgery(["fix-untrained", folder, "--output", folder + "/sub"])
    #expect(inside.status == 1)
    #expect(inside.stderr.hasPrefix("error: \(folder)/sub: is inside the input folder"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/model.safetensors")) == before)
    #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path) == ["llama3"])
  }

  @Test func aCachedModelIsNeverRewritten() throws {
    let scratch = try ScratchDirectory()
    let cache = try HubCacheTests.makeCache(in: scratch.url)
    let work = scratch.path("work")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    let environment = ["HF_HUB_CACHE": cache.path]
    let inPlace = try TestEnvironment.embsurgery(
      ["fix-untrained", "acme/tiny-llama", "--ids", "3", "--in-place"], currentDirectory: work,
      environment: environment)
    #expect(inPlace.status == 1)
    #expect(inPlace.stderr.contains("is a snapshot of the Hugging Face cache, which is never written"))
    let fixed = try TestEnvironment.embsurgery(
      ["fix-untrained", "acme/tiny-llama", "--ids", "3", "--json", "--quiet"], currentDirectory: work,
      environment: environment)
    #expect(fixed.status == 0, "\(fixed.stderr)")
    #expect(try JSONParser.parse(Array(fixed.stdout.utf8))["output"]?.string == "tiny-llama-fixed")
    #expect(
      FileManager.default.fileExists(atPath: work.appendingPathComponent("tiny-llama-fixed/model.safetensors").path))
  }

  @Test func resizeReuseReservedReportsSlots() throws {
    let scratch = try ScratchDirectory()
    let folder = try makeLlama3(in: scratch)
    let tokens = scratch.path("tokens.txt")
    try Data("<|eom_id|>\n<|python_tag|>\n".utf8).write(to: tokens)
    let output = scratch.path("out").path
    let result = try TestEnvironment.embsurgery([
      "resize", folder, "--tokens", tokens.path, "--output", output, "--reuse-reserved", "--special",
      "--init", "mvn", "--noise-scale", "1e-9", "--json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try JSONParser.parse(Array(result.stdout.utf8))
    #expect(
      report["added"]?.elements == [
        .object([
          JSONMember("token", "<|eom_id|>"), JSONMember("id", 32), JSONMember("init", "mvn"),
          JSONMember("pieces", .array([])),
          JSONMember("slot", "<|reserved_special_token_0|>"),
        ]),
        .object([
          JSONMember("token", "<|python_tag|>"), JSONMember("id", 34), JSONMember("init", "mvn"),
          JSONMember("pieces", .array([])),
          JSONMember("slot", "<|reserved_special_token_2|>"),
        ]),
      ])
    #expect(report["rows_after"]?.number?.int == 40)
    let text = try TestEnvironment.embsurgery([
      "resize", folder, "--tokens", tokens.path, "--output", scratch.path("dry").path, "--reuse-reserved", "--dry-run",
    ])
    #expect(text.stdout.contains("\"<|eom_id|>\" took reserved slot \"<|reserved_special_token_0|>\" (id 32).\n"))
    #expect(
      text.stdout.contains(
        "Note: reserved slots referenced by special-token keys or config ids were left alone: <|reserved_special_token_1|> (33), <|reserved_special_token_3|> (35), <|reserved_special_token_5|> (37).\n"
      ))
  }

  @Test func helpListsTheCommand() throws {
    let result = try TestEnvironment.embsurgery(["--help"])
    #expect(result.stdout.contains("fix-untrained"))
  }
}

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

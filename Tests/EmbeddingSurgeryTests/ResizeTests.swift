import EmbeddingSurgery
import Foundation
import SafeTensors
import StrictJSON
import SystemPackage
import TestSupport
import Testing

@Suite struct ResizeTests {
  func resize(
    _ folder: URL, tokens: [String], rule: InitializationRule = .mean, output: URL,
    padToMultipleOf: Int? = nil, seed: UInt64 = 0, special: Bool = false
  ) throws -> ResizeReport {
    let model = try ModelCheckpoint.open(folder.path)
    let plan = try ResizePlan(
      model: model,
      request: ResizeRequest(
        tokens: tokens, initialization: rule, special: special, padToMultipleOf: padToMultipleOf, seed: seed))
    return try plan.execute(into: .path(FilePath(output.path), replacingExisting: false))
  }

  @Test(arguments: ["F32", "F16", "BF16", "F64"])
  func meanRowsMatchTheFloat64ReferenceForEveryDtype(_ dtype: String) throws {
    let scratch = try ScratchDirectory()
    var reference = ReferenceModel()
    reference.dtype = dtype
    let folder = scratch.path("model")
    try reference.make(in: folder)
    let output = scratch.path("out")
    let report = try resize(
      folder, tokens: ["<|AtLocation|>", "<|UsedFor|>", "dup", "dup", "w3", "é", "e\u{301}"], output: output)
    #expect(report.added.map(\.token.id) == [40, 41, 42, 43, 44])
    #expect(report.added.map(\.token.text) == ["<|AtLocation|>", "<|UsedFor|>", "dup", "é", "e\u{301}"])
    #expect(
      report.skipped == [
        .init(token: "dup", reason: "duplicate"), .init(token: "w3", reason: "already in the vocabulary as id 3"),
      ])
    #expect(report.rowsBefore == 40 && report.rowsAfter == 45)
    #expect(report.resized == ["model.embed_tokens.weight", "lm_head.weight", "lm_head.bias"])
    #expect(!report.tied)
    try reference.expectVerified(model: folder, output: output.path, report: report, rule: .mean)
  }

  @Test(arguments: [InitializationRule.zeros, .random])
  func zerosAndRandomRows(_ rule: InitializationRule) throws {
    let scratch = try ScratchDirectory()
    let reference = ReferenceModel()
    let folder = scratch.path("model")
    try reference.make(in: folder)
    let report = try resize(folder, tokens: ["<a>", "<b>", "<c>"], rule: rule, output: scratch.path("out"))
    #expect(report.added.allSatisfy { $0.initialization == rule })
    try reference.expectVerified(model: folder, output: scratch.path("out").path, report: report, rule: rule)
  }

  @Test func randomRowsAreReproducibleBySeed() throws {
    let scratch = try ScratchDirectory()
    let folder = scratch.path("model")
    try ReferenceModel().make(in: folder)
    for (name, seed) in [("a", 5), ("b", 5), ("c", 6)] {
      _ = try resize(folder, tokens: ["<x>", "<y>"], rule: .random, output: scratch.path(name), seed: UInt64(seed))
    }
    let bytes = try ["a", "b", "c"].map { try Data(contentsOf: scratch.path("\($0)/model.safetensors")) }
    #expect(bytes[0] == bytes[1])
    #expect(bytes[0] != bytes[2])
  }

  @Test func tiedHeadWithFinalLogitsBias() throws {
    let scratch = try ScratchDirectory()
    var reference = ReferenceModel()
    reference.head = false
    reference.bias = "final_logits_bias"
    reference.dtype = "F32"
    let folder = scratch.path("model")
    try reference.make(in: folder)
    let report = try resize(folder, tokens: ["<t>"], output: scratch.path("out"))
    #expect(report.tied)
    #expect(report.resized == ["model.embed_tokens.weight", "final_logits_bias"])
    try reference.expectVerified(model: folder, output: scratch.path("out").path, report: report, rule: .mean)
  }

  @Test func paddedVocabularyRowsAreReusedBeforeGrowing() throws {
    let scratch = try ScratchDirectory()
    var reference = ReferenceModel()
    reference.rows = 48
    reference.vocabulary = 40
    reference.zeroRows = Array(40..<48)
    let folder = scratch.path("model")
    try reference.make(in: folder)
    let small = try resize(folder, tokens: ["<a>", "<b>"], output: scratch.path("small"))
    #expect(small.added.map(\.token.id) == [40, 41])
    #expect(small.rowsAfter == 48)
    try reference.expectVerified(model: folder, output: scratch.path("small").path, report: small, rule: .mean)
    let large = try resize(folder, tokens: (0..<10).map { "<t\($0)>" }, output: scratch.path("large"))
    #expect(large.added.map(\.token.id) == Array(40..<50))
    #expect(large.rowsAfter == 50)
    try reference.expectVerified(model: folder, output: scratch.path("large").path, report: large, rule: .mean)
  }

  @Test func padToMultipleOfAddsMeanRows() throws {
    let scratch = try ScratchDirectory()
    let reference = ReferenceModel()
    let folder = scratch.path("model")
    try reference.make(in: folder)
    let report = try resize(folder, tokens: ["<a>", "<b>", "<c>"], output: scratch.path("out"), padToMultipleOf: 16)
    #expect(report.rowsAfter == 48)
    #expect(report.added.map(\.token.id) == [40, 41, 42])
    try reference.expectVerified(model: folder, output: scratch.path("out").path, report: report, rule: .mean)
  }

  @Test func everyOtherFileIsCopiedAndTheInputIsUntouched() throws {
    let scratch = try ScratchDirectory()
    let folder = scratch.path("model")
    try ReferenceModel().make(in: folder)
    try FileManager.default.createDirectory(
      at: folder.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
    try Data("{\"pooling\": true}".utf8).write(to: folder.appendingPathComponent("1_Pooling/config.json"))
    try Data("notes".utf8).write(to: folder.appendingPathComponent("README.md"))
    let before = try snapshot(folder)
    _ = try resize(folder, tokens: ["<a>"], output: scratch.path("out"))
    #expect(try snapshot(folder) == before)
    let after = try snapshot(scratch.path("out"))
    #expect(Set(after.keys) == Set(before.keys))
    #expect(after["1_Pooling/config.json"] == before["1_Pooling/config.json"])
    #expect(after["README.md"] == before["README.md"])
    #expect(after["tokenizer.json"] != before["tokenizer.json"])
  }

  func snapshot(_ folder: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(atPath: folder.path)
    while let name = enumerator?.nextObject() as? String {
      var isDirectory: ObjCBool = false
      let path = folder.appendingPathComponent(name).path
      if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
        files[name] = try Data(contentsOf: URL(fileURLWithPath: path))
      }
    }
    return files
  }
}

@Suite struct ShardedAndSpecialResizeTests {
  @Test func shardedFolderRewritesOnlyTouchedShardsAndFixesTheIndex() throws {
    let scratch = try ScratchDirectory()
    var reference = ReferenceModel()
    reference.sharded = true
    let folder = scratch.path("model")
    try reference.make(in: folder)
    let output = scratch.path("out")
    let plan = try ResizePlan(
      model: try ModelCheckpoint.open(folder.path), request: ResizeRequest(tokens: ["<a>", "<b>"]))
    let report = try plan.execute(into: .path(FilePath(output.path), replacingExisting: false))
    #expect(report.rowsAfter == 42)
    try reference.expectVerified(model: folder, output: output.path, report: report, rule: .mean)
    // The untouched shard is the very same bytes; the index keeps its layout, only total_size moves.
    let untouched = "model-00003-of-00003.safetensors"
    #expect(
      try Data(contentsOf: output.appendingPathComponent(untouched))
        == Data(contentsOf: folder.appendingPathComponent(untouched)))
    let before = try String(contentsOf: folder.appendingPathComponent("model.safetensors.index.json"), encoding: .utf8)
    let after = try String(contentsOf: output.appendingPathComponent("model.safetensors.index.json"), encoding: .utf8)
    let growth = 2 * (24 * 2) * 2 + 2 * 2  // two rows of embedding and head (BF16, dim 24), two bias entries
    let total = try #require(before.split(separator: "\n").first { $0.contains("total_size") })
    let oldTotal = try #require(Int(total.filter(\.isNumber)))
    #expect(
      after
        == before.replacingOccurrences(of: "\"total_size\": \(oldTotal)", with: "\"total_size\": \(oldTotal + growth)"))
  }

  @Test func specialTokensAreMarkedInEveryTokenizerFile() throws {
    let scratch = try ScratchDirectory()
    let fixture = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/tiny-llama")
    let output = scratch.path("out")
    let plan = try ResizePlan(
      model: try ModelCheckpoint.open(fixture.path),
      request: ResizeRequest(tokens: ["<|tool_call|>", "<|tool_result|>"], special: true))
    let report = try plan.execute(into: .path(FilePath(output.path), replacingExisting: false))
    #expect(report.added.map(\.token.id) == [320, 321])
    let script = """
      import json, sys
      from tokenizers import Tokenizer
      out = sys.argv[1]
      tok = Tokenizer.from_file(out + "/tokenizer.json")
      config = json.load(open(out + "/tokenizer_config.json"))
      added = {t.content: (i, t.special, t.normalized) for i, t in tok.get_added_tokens_decoder().items()}
      print(json.dumps({
        "ids": [tok.encode(t, add_special_tokens=False).ids for t in ["<|tool_call|>", "x<|tool_result|>y"]],
        "added": [added["<|tool_call|>"], added["<|tool_result|>"]],
        "decoder": config["added_tokens_decoder"]["321"],
        "special": config["additional_special_tokens"],
        "decoded": tok.decode([320, 321], skip_special_tokens=True),
      }))
      """
    let result = try JSONParser.parse(Array(try TestEnvironment.runPython(script, arguments: [output.path])))
    let ids = try #require(pieceLists(result["ids"]))
    #expect(ids.first == [320])
    #expect(ids.last?.contains(321) == true)
    #expect(result["added"] == .array([.array([320, true, false]), .array([321, true, false])]))
    #expect(result["decoder"]?["special"] == true)
    #expect(result["decoder"]?["content"]?.string == "<|tool_result|>")
    #expect(result["special"] == .array(["<|tool_call|>", "<|tool_result|>"]))
    #expect(result["decoded"]?.string == "")
  }

  func pieceLists(_ value: JSONValue?) -> [[Int]]? {
    value?.elements?.map { $0.elements?.compactMap { $0.number?.int } ?? [] }
  }
}

import Foundation
import SafeTensors
import Testing
import TestSupport

@testable import EmbeddingSurgery

@Suite struct ResizeTests {
  func resize(
    _ folder: URL, tokens: [String], rule: InitializationRule = .mean, output: URL,
    padToMultipleOf: Int? = nil, seed: UInt64 = 0, special: Bool = false
  ) throws -> ResizeReport {
    let model = try ModelCheckpoint(path: folder.path)
    let plan = try ResizePlan(
      model: model,
      request: ResizeRequest(
        tokens: tokens, initialization: rule, special: special, padToMultipleOf: padToMultipleOf, seed: seed))
    return try plan.execute(into: .path(output.path, replacingExisting: false))
  }

  @Test(arguments: ["F32", "F16", "BF16", "F64"])
  func meanRowsMatchTheFloat64ReferenceForEveryDtype(_ dtype: String) throws {
    let scratch = try ScratchDirectory()
    var reference = ReferenceModel()
    reference.dtype = dtype
    let folder = scratch.path("model")
    try reference.make(in: folder)
    let output = scratch.path("out")
    let report = try resize(folder, tokens: ["<|AtLocation|>", "<|UsedFor|>", "dup", "dup", "w3", "é", "e\u{301}"], output: output)
    #expect(report.added.map(\.id) == [40, 41, 42, 43, 44])
    #expect(report.added.map(\.token) == ["<|AtLocation|>", "<|UsedFor|>", "dup", "é", "e\u{301}"])
    #expect(report.skipped == [
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
    #expect(small.added.map(\.id) == [40, 41])
    #expect(small.rowsAfter == 48)
    try reference.expectVerified(model: folder, output: scratch.path("small").path, report: small, rule: .mean)
    let large = try resize(folder, tokens: (0..<10).map { "<t\($0)>" }, output: scratch.path("large"))
    #expect(large.added.map(\.id) == Array(40..<50))
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
    #expect(report.added.map(\.id) == [40, 41, 42])
    try reference.expectVerified(model: folder, output: scratch.path("out").path, report: report, rule: .mean)
  }

  @Test func everyOtherFileIsCopiedAndTheInputIsUntouched() throws {
    let scratch = try ScratchDirectory()
    let folder = scratch.path("model")
    try ReferenceModel().make(in: folder)
    try FileManager.default.createDirectory(at: folder.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
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

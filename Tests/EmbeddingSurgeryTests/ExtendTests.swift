import EmbeddingSurgery
import Foundation
import StrictJSON
import TestSupport
import Testing
import Tokenization

/// The extend plan as a library: the same merges on any number of threads.
@Suite struct ExtendTests {
  /// The committed trim corpus written as a corpus file.
  static func writeCorpus(to url: URL) throws {
    let resources = TestEnvironment.repositoryRoot.appendingPathComponent(
      "Tests/TokenizationTests/Resources/trim-corpus.json")
    let value = try JSONParser.parse(Array(try Data(contentsOf: resources)))
    let texts = try #require(value["texts"]?.elements?.compactMap { $0.string })
    let lines = texts.map { $0.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ") }
    // Three copies, so that the threads share the batches differently.
    try Data(String(repeating: lines.joined(separator: "\n") + "\n", count: 3).utf8).write(to: url)
  }

  @Test func sameMergesOnAnyThreadCount() throws {
    let scratch = try ScratchDirectory()
    let corpus = scratch.path("corpus.txt")
    try Self.writeCorpus(to: corpus)
    let model = try ModelCheckpoint(path: try TestEnvironment.thirdParty("smollm2-135m-hf", "").path)
    let request = ExtendRequest(corpora: [corpus.path, corpus.path], merges: 200)
    let plans = try [1, 2, 7].map { try ExtendPlan(model: model, request: request, threads: $0) }
    let merges = plans.map { $0.vocabularyExtension.merges }
    #expect(merges[0].count == 200)
    #expect(merges[1] == merges[0])
    #expect(merges[2] == merges[0])
    #expect(plans.map(\.tokensAfter) == Array(repeating: plans[0].tokensAfter, count: 3))
    // Learning again over the same words gives the same merges (the order of the words, a
    // dictionary's, does not matter).
    let again = try ExtendPlan(model: model, request: request, threads: 2)
    #expect(again.vocabularyExtension.merges == merges[0])
  }
}

import EmbeddingSurgery
import Foundation
import StrictJSON
import SystemPackage
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
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
  }

  @Test func sameMergesOnAnyThreadCount() throws {
    let scratch = try ScratchDirectory()
    let corpus = scratch.path("corpus.txt")
    try Self.writeCorpus(to: corpus)
    let model = try ModelCheckpoint.open(try TestEnvironment.thirdParty("smollm2-135m-hf", "").path)
    // The file twice: the threads share its batches differently on each count.
    let request = ExtendRequest(corpora: [.file(FilePath(corpus.path)), .file(FilePath(corpus.path))], merges: 200)
    let plans = try [1, 2, 7].map { try ExtendPlan(model: model, request: request, threads: $0) }
    let merges = plans.map { $0.vocabularyExtension.merges }
    #expect(merges[0].count == 200)
    #expect(merges[1] == merges[0])
    #expect(merges[2] == merges[0])
    #expect(plans.map(\.tokensAfter) == Array(repeating: plans[0].tokensAfter, count: 3))
  }
}

import EmbeddingSurgery
import Foundation
import SafeTensors
import SystemPackage
import TestSupport
import Testing

// The README's library example, word for word (a test below checks that the README still says this).
func addRelationTokens(model path: String, output: FilePath) throws -> [Int] {
  let model = try ModelCheckpoint.open(path)
  let request = ResizeRequest(tokens: ["<|AtLocation|>", "<|UsedFor|>"], initialization: .mean)
  let plan = try ResizePlan(model: model, request: request)
  let report = try plan.execute(into: .path(output, replacingExisting: true))
  return report.newIDs  // for PEFT's trainable_token_indices
}

func trimToCorpus(model name: String, corpus: FilePath, output: FilePath) throws -> [Int?] {
  let model = try ModelCheckpoint.open(name)  // a path, or ORG/NAME in the Hugging Face cache
  let plan = try TrimPlan(model: model, request: TrimRequest(corpora: [.file(corpus)]))
  let report = try plan.execute(into: .path(output, replacingExisting: true))
  var newID = [Int?](repeating: nil, count: report.rowsBefore)
  for (old, new) in report.idMap { newID[old] = new }
  return newID  // renumbers a dataset tokenized before the trim
}

@Suite struct ReadmeExampleTests {
  @Test func theExampleRunsOnTheFixture() throws {
    let scratch = try ScratchDirectory()
    let fixture = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/tiny-llama").path
    let ids = try addRelationTokens(model: fixture, output: FilePath(scratch.path("out").path))
    #expect(ids == [320, 321])
    let file = try SafeTensorsFile(path: FilePath(scratch.path("out/model.safetensors").path))
    #expect(file.header.tensor(named: "model.embed_tokens.weight")?.shape == [322, 64])
    #expect(file.header.tensor(named: "lm_head.weight")?.shape == [322, 64])
  }

  @Test func theTrimExampleRunsOnTheFixture() throws {
    let scratch = try ScratchDirectory()
    let fixture = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/tiny-llama").path
    let corpus = scratch.path("corpus.txt")
    try Data("Hello world\nthe model\n".utf8).write(to: corpus)
    let newID = try trimToCorpus(
      model: fixture, corpus: FilePath(corpus.path), output: FilePath(scratch.path("out").path))
    let kept = newID.compactMap { $0 }
    #expect(newID.count == 320 && kept == Array(0..<kept.count) && kept.count < 320)
    let file = try SafeTensorsFile(path: FilePath(scratch.path("out/model.safetensors").path))
    #expect(file.header.tensor(named: "model.embed_tokens.weight")?.shape == [kept.count, 64])
  }

  @Test(arguments: [
    ("func addRelationTokens", "trainable_token_indices\n}\n"), ("func trimToCorpus", "before the trim\n}\n"),
  ])
  func theReadmeShowsThisExample(first: String, last: String) throws {
    let readme = try String(
      contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
    let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
    let start = try #require(source.range(of: first))
    let end = try #require(source.range(of: last, range: start.lowerBound..<source.endIndex))
    #expect(readme.contains(String(source[start.lowerBound..<end.upperBound])))
  }
}

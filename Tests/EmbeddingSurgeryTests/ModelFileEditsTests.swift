import EmbeddingSurgery
import StrictJSON
import Testing
import Tokenization

@Suite struct ModelFileEditsTests {
  let tokens = [
    AddedToken(newToken: Token(id: 320, text: "<|AtLocation|>"), special: false),
    AddedToken(newToken: Token(id: 321, text: "tab\there \"quoted\""), special: false),
  ]

  @Test func tokenizerJSONGetsOneEntryPerTokenAndNothingElseChanges() throws {
    let original = """
      {
        "version": "1.0",
        "added_tokens": [
          {
            "id": 0,
            "content": "<s>",
            "single_word": false,
            "lstrip": false,
            "rstrip": false,
            "normalized": false,
            "special": true
          }
        ],
        "model": {"type": "BPE", "vocab": {"a": 1}, "dropout": 0.10}
      }
      """
    let edited = try ModelFileEdits.addTokens(tokens, toTokenizerJSON: Array(original.utf8), path: "tokenizer.json")
    let text = String(decoding: edited, as: UTF8.self)
    let expectedEntry = """
          {
            "id": 321,
            "content": "tab\\there \\"quoted\\"",
            "single_word": false,
            "lstrip": false,
            "rstrip": false,
            "normalized": true,
            "special": false
          }
        ],
        "model": {"type": "BPE", "vocab": {"a": 1}, "dropout": 0.10}
      }
      """
    #expect(text.hasSuffix(expectedEntry))
    #expect(text.hasPrefix(String(original.prefix(while: { $0 != "]" })).dropLast(3)))
    let value = try JSONParser.parse(edited)
    #expect(value["added_tokens"]?.elements?.count == 3)
    #expect(value["added_tokens"]?.elements?[1]["content"]?.string == "<|AtLocation|>")
  }

  @Test func tokenizerConfigDecoderFollowsItsKeyOrderAndSpecialListIsUsed() throws {
    let original =
      #"{"added_tokens_decoder": {"0": {"content": "<s>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true}}, "extra_special_tokens": ["<x>"], "model_max_length": 512}"#
    let special = tokens.map { AddedToken(newToken: $0.token, special: true) }
    let edited = try ModelFileEdits.addTokens(
      special, toTokenizerConfig: Array(original.utf8), listAsSpecial: true, path: "tokenizer_config.json")
    let expected =
      #"{"added_tokens_decoder": {"0": {"content": "<s>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true}, "320": {"content": "<|AtLocation|>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true}, "321": {"content": "tab\there \"quoted\"", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true}}, "extra_special_tokens": ["<x>", "<|AtLocation|>", "tab\there \"quoted\""], "model_max_length": 512}"#
    #expect(String(decoding: edited, as: UTF8.self) == expected)
  }

  @Test func specialTokensGoToAdditionalSpecialTokensWhenNeitherListExists() throws {
    let edited = try ModelFileEdits.addTokens(
      [AddedToken(newToken: Token(id: 5, text: "<t>"), special: true)],
      toTokenizerConfig: Array("{\n  \"a\": 1\n}\n".utf8),
      listAsSpecial: true, path: "tokenizer_config.json")
    #expect(
      String(decoding: edited, as: UTF8.self)
        == "{\n  \"a\": 1,\n  \"additional_special_tokens\": [\n    \"<t>\"\n  ]\n}\n")
  }

  @Test func configVocabularySizeAndTextConfig() throws {
    let plain = try ModelFileEdits.setVocabularySize(
      30524, inConfig: Array("{\n  \"vocab_size\": 30522,\n  \"x\": 1e-12\n}\n".utf8), path: "config.json")
    #expect(String(decoding: plain, as: UTF8.self) == "{\n  \"vocab_size\": 30524,\n  \"x\": 1e-12\n}\n")
    let nested = try ModelFileEdits.setVocabularySize(
      9, inConfig: Array(#"{"text_config": {"vocab_size": 7}, "vision_config": {"vocab_size": 3}}"#.utf8),
      path: "config.json")
    #expect(
      String(decoding: nested, as: UTF8.self)
        == #"{"text_config": {"vocab_size": 9}, "vision_config": {"vocab_size": 3}}"#)
  }

  @Test func malformedFilesAreNamed() {
    let error = #expect(throws: SurgeryError.self) {
      try ModelFileEdits.setVocabularySize(1, inConfig: Array("{\"a\":".utf8), path: "/m/config.json")
    }
    #expect(error?.description.hasPrefix("/m/config.json: invalid JSON") == true)
  }
}

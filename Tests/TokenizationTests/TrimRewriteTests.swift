import Foundation
import StrictJSON
import SystemPackage
import TestSupport
import Testing
import Tokenization

/// The rewriters: ids outside the vocabulary, byte-for-byte preservation, the companion files,
/// and the errors that keep inconsistent files from being written.

private let processed = """
  {
    "version": "1.0",
    "padding": {"strategy": "BatchLongest", "direction": "Right", "pad_to_multiple_of": null,
      "pad_id": 9, "pad_type_id": 0, "pad_token": "<pad>"},
    "added_tokens": [
      {"id": 7, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
      {"id": 8, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
      {"id": 9, "content": "<pad>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
    ],
    "normalizer": {"type": "Lowercase"},
    "pre_tokenizer": {"type": "WhitespaceSplit"},
    "post_processor": {"type": "Sequence", "processors": [
      {"type": "RobertaProcessing", "sep": ["</s>", 8], "cls": ["<s>", 7], "trim_offsets": true, "add_prefix_space": false},
      {"type": "TemplateProcessing",
       "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
       "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
       "special_tokens": {"<s>": {"id": "<s>", "ids": [7], "tokens": ["<s>"]}}}
    ]},
    "decoder": {"type":   "Fuse"},
    "model": {
      "type": "BPE",
      "vocab": {"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "<unk>": 5, "cc": 6},
      "merges": ["a b", "b c", "c c"],
      "unk_token": "<unk>"
    }
  }
  """

private func trimmedProcessed(_ corpus: [String]) throws -> (TokenizerFile, TokenizerTrim, [UInt8]) {
  let file = try TokenizerFile(bytes: Array(processed.utf8), path: "p.json")
  var usage = TokenUsage(for: file.tokenizer)
  for text in corpus { try file.tokenizer.encode(text, recordingInto: &usage) }
  let plan = try TokenizerTrim(file: file, usage: usage)
  return (file, plan, try plan.rewriteTokenizerJSON(file))
}

@Test func idsOutsideTheVocabularyAreRenumberedAndTheRestKeepsItsBytes() throws {
  let (file, plan, bytes) = try trimmedProcessed(["ab"])
  // "bc", "cc" go: a b c ab <unk> <s> </s> <pad> → 0…7.
  #expect(plan.keptIDs == [0, 1, 2, 3, 5, 7, 8, 9])
  let json = try JSONParser.parse(bytes)
  #expect(json["padding"]?["pad_id"] == 7)
  #expect(json["added_tokens"]?.elements?.map { $0["id"] } == [5, 6, 7])
  let processors = json["post_processor"]?["processors"]?.elements ?? []
  #expect(processors.first?["sep"] == .array(["</s>", 6]))
  #expect(processors.first?["cls"] == .array(["<s>", 5]))
  #expect(processors.last?["special_tokens"]?["<s>"]?["ids"] == .array([5]))
  #expect(json["model"]?["vocab"]?.members?.map(\.key) == ["a", "b", "c", "ab", "<unk>"])
  #expect(json["model"]?["merges"] == .array(["a b"]))
  // Everything but the edited values has its bytes: the text before the first id, the
  // normalizer and decoder, and the layout of the model's other members.
  let text = String(decoding: bytes, as: UTF8.self)
  let original = String(decoding: file.bytes, as: UTF8.self)
  let head = original[..<original.range(of: "\"pad_id\": ")!.upperBound]
  #expect(text.hasPrefix(head))
  #expect(text.contains(#""decoder": {"type":   "Fuse"},"#))
  #expect(text.hasSuffix("\n    \"unk_token\": \"<unk>\"\n  }\n}"))
  // The HF library reads the file and adds the renumbered special tokens.
  let script = """
    import sys
    from tokenizers import Tokenizer
    original, trimmed = Tokenizer.from_str(sys.argv[1]), Tokenizer.from_str(sys.argv[2])
    kept = [int(i) for i in sys.argv[3].split(",")]
    for text in ["ab", "ab a", "b a ab"]:
        a = original.encode(text, add_special_tokens=True)
        b = trimmed.encode(text, add_special_tokens=True)
        assert [kept[i] for i in b.ids] == a.ids, (text, a.ids, b.ids)
    print("ok")
    """
  let output = try TestEnvironment.runPython(
    script,
    arguments: [processed, text, plan.keptIDs.map(String.init).joined(separator: ",")])
  #expect(String(decoding: output, as: UTF8.self) == "ok\n")
}

@Test func idsThatCannotBeRewrittenAreErrors() throws {
  func message(_ text: String) -> String? {
    do {
      let file = try TokenizerFile(bytes: Array(text.utf8), path: "x.json")
      _ = try TokenizerTrim(file: file, usage: TokenUsage(for: file.tokenizer))
      return nil
    } catch {
      return error.description
    }
  }
  let model = #""model":{"type":"WordPiece","vocab":{"[UNK]":0,"a":1}}"#
  #expect(
    message(#"{"post_processor":{"type":"Mystery","ids":[1]},"# + model + "}")
      == "x.json: post_processor of type 'Mystery' may hold token ids this tool cannot rewrite")
  #expect(
    message(#"{"padding":{"pad_id":5},"# + model + "}")
      == "x.json: padding.pad_id is 5, which is no token's id")
  #expect(
    message(#"{"post_processor":{"type":"BertProcessing","sep":["[SEP]"],"cls":["[CLS]",0]},"# + model + "}")
      == "x.json: post_processor.sep must be a [token, id] pair")
  #expect(
    message(
      #"{"post_processor":{"type":"Sequence","processors":[{"type":"TemplateProcessing","special_tokens":{"x":{"ids":["a"]}}}]},"#
        + model + "}")
      == #"x.json: post_processor.processors[0].special_tokens["x"].ids[0] must be a non-negative integer"#)
  // A plan made for another file.
  let small = try TokenizerFile(bytes: Array(("{" + model + "}").utf8), path: "small.json")
  let (file, plan, _) = try trimmedProcessed(["ab"])
  #expect(throws: TokenizationError.self) { try plan.rewriteTokenizerJSON(small) }
  #expect(try plan.rewriteTokenizerJSON(file).count > 0)
}

@Test func tokenizerConfigKeysAreRenumbered() throws {
  let (_, plan, _) = try trimmedProcessed(["ab"])
  let config = """
    {
      "added_tokens_decoder": {
        "7": {"content": "<s>", "special": true},
        "8": {"content": "</s>", "special": true},
        "9": {"content": "<pad>", "special": true}
      },
      "bos_token": "<s>"
    }
    """
  let rewritten = try plan.rewriteTokenizerConfig(Array(config.utf8), path: "tokenizer_config.json")
  #expect(
    String(decoding: rewritten, as: UTF8.self)
      == config.replacingOccurrences(of: "\"7\"", with: "\"5\"")
      .replacingOccurrences(of: "\"8\"", with: "\"6\"").replacingOccurrences(of: "\"9\"", with: "\"7\""))
  let unchanged = #"{"model_max_length": 512}"#
  #expect(try plan.rewriteTokenizerConfig(Array(unchanged.utf8), path: "c.json") == Array(unchanged.utf8))
  do {
    _ = try plan.rewriteTokenizerConfig(
      Array(#"{"added_tokens_decoder": {"4": {"content": "bc"}}}"#.utf8), path: "c.json")
    Issue.record("expected an error")
  } catch {
    #expect(
      error.description
        == "c.json: added_tokens_decoder names id 4, which is not a token the trim keeps")
  }
  #expect(throws: TokenizationError.self) {
    try plan.rewriteTokenizerConfig(Array(#"{"added_tokens_decoder": {"x": {}}}"#.utf8), path: "c.json")
  }
}

@Test func vocabularyTextFollowsTheKeptIDs() throws {
  let text = "[UNK]\r\na\r\nab\r\n##bc\r\nx\r\n"
  let file = try TokenizerFile(
    bytes: Array(
      ###"{"model":{"type":"WordPiece","vocab":{"[UNK]":0,"a":1,"ab":2,"##bc":3,"x":4}}}"###.utf8),
    path: "w.json")
  var usage = TokenUsage(for: file.tokenizer)
  try file.tokenizer.encode("ab", recordingInto: &usage)
  let plan = try TokenizerTrim(file: file, usage: usage)
  #expect(plan.keptIDs == [0, 1, 2, 4])
  let rewritten = try plan.rewriteVocabularyText(
    Array(text.utf8), path: "vocab.txt", vocabulary: file.tokenizer.vocabulary)
  #expect(String(decoding: rewritten, as: UTF8.self) == "[UNK]\r\na\r\nab\r\nx\r\n")
  do {
    _ = try plan.rewriteVocabularyText(
      Array("[UNK]\na\nabc\n".utf8), path: "vocab.txt", vocabulary: file.tokenizer.vocabulary)
    Issue.record("expected an error")
  } catch {
    #expect(
      error.description
        == #"vocab.txt: line 3 holds "abc", not the token of id 2 in tokenizer.json"#)
  }
}

/// With no corpus, a tokenizer keeps what encodes any text: its byte or character alphabet,
/// its unknown token and its added tokens.
@Test(arguments: ["llama3", "wordllama", "minilm"])
func anEmptyCorpusKeepsTheBaseVocabulary(name: String) throws {
  let scratch = try ScratchDirectory()
  let url = try TokenizationResources.tokenizerURL(name)
  let file = try TokenizerFile(contentsOf: FilePath(url.path))
  let vocabulary = file.tokenizer.vocabulary
  let plan = try TokenizerTrim(file: file, usage: TokenUsage(for: file.tokenizer))
  let added = Set(vocabulary.addedTokens.map(\.id))
  let base = plan.keptIDs.filter { !added.contains($0) }.compactMap { vocabulary.token(of: $0) }
  switch name {
  case "llama3":
    #expect(base.count == 256 && base.allSatisfy { $0.unicodeScalars.count == 1 })
    #expect(plan.keptIDs.count == 512)
  case "wordllama":
    // The bytes, and "▁", which the normalizer puts for spaces and the decoder turns back.
    #expect(base.filter { $0.hasPrefix("<0x") && $0.utf8.count == 6 }.count == 256)
    #expect(base.filter { !$0.hasPrefix("<0x") } == ["▁"])
    #expect(plan.keptIDs.count == 260)  // and <unk> <s> </s>
  default:
    let characters = (0..<vocabulary.size).compactMap { vocabulary.token(of: $0) }.filter {
      !added.contains(vocabulary.id(of: $0)!)
        && ($0.unicodeScalars.count == 1
          || ($0.unicodeScalars.starts(with: "##".unicodeScalars) && $0.unicodeScalars.count == 3))
    }
    #expect(base.sorted() == characters.sorted())
  }
  #expect(plan.keptMergeRanks ?? [] == [])
  let trimmedURL = scratch.path("trimmed.json")
  try Data(try plan.rewriteTokenizerJSON(file)).write(to: trimmedURL)
  let outcome = TrimSupport.Outcome(
    file: file, usage: TokenUsage(for: file.tokenizer), plan: plan, trimmedURL: trimmedURL,
    trimmed: try TokenizerFile(contentsOf: FilePath(trimmedURL.path)))
  try TrimSupport.checkAll(outcome, corpus: [], byteComplete: name != "minilm", scratch: scratch)
}

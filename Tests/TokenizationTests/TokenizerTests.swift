import Foundation
import StrictJSON
import SystemPackage
import TestSupport
import Testing
import Tokenization

private func tokenizer(_ text: String, path: String = "t.json") throws -> Tokenizer {
  try Tokenizer(json: JSONParser.parse(Array(text.utf8)), path: FilePath(path))
}

private func description(of body: () throws -> Void) -> String? {
  do {
    try body()
    return nil
  } catch {
    return "\(error)"
  }
}

private let smallBPE =
  #""model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2,"<unk>":3,"<0x63>":4,"c":5,"abc":6},"#

@Test func bpeMergesAsStringsAndAsPairsAgree() throws {
  let strings = try tokenizer("{\(smallBPE)\"merges\":[\"a b\",\"ab c\"]}}")
  let pairs = try tokenizer("{\(smallBPE)\"merges\":[[\"a\",\"b\"],[\"ab\",\"c\"]]}}")
  #expect(try strings.encode("abcab") == Encoding(ids: [6, 2], tokens: ["abc", "ab"]))
  #expect(try pairs.encode("abcab") == strings.encode("abcab"))
  #expect(try strings.encode("") == Encoding(ids: [], tokens: []))
}

@Test func bpeUnknownsAreFusedOrNotAndBytesFallBack() throws {
  let fused = try tokenizer("{\(smallBPE)\"merges\":[],\"unk_token\":\"<unk>\",\"fuse_unk\":true}}")
  #expect(try fused.encode("axyb").ids == [0, 3, 1])
  let unfused = try tokenizer(
    "{\(smallBPE)\"merges\":[],\"unk_token\":\"<unk>\",\"fuse_unk\":false}}")
  #expect(try unfused.encode("axyb").ids == [0, 3, 3, 1])
  let bytes = try tokenizer(
    #"{"model":{"type":"BPE","vocab":{"<0x63>":4,"<unk>":3},"merges":[],"byte_fallback":true,"unk_token":"<unk>"}}"#
  )
  #expect(try bytes.encode("cd") == Encoding(ids: [4, 3], tokens: ["<0x63>", "<unk>"]))
  let silent = try tokenizer("{\(smallBPE)\"merges\":[]}}")
  #expect(try silent.encode("axb").ids == [0, 1])  // no unk_token: unknown characters are dropped
}

@Test func unsupportedComponentsAreNamed() throws {
  let model = #""model":{"type":"WordPiece","vocab":{"[UNK]":0}}"#
  #expect(
    description {
      _ = try tokenizer(
        #"{"normalizer":{"type":"Precompiled","precompiled_charsmap":""},"# + model + "}")
    }
      == "t.json: normalizer.precompiled_charsmap is too short")
  #expect(
    description {
      _ = try tokenizer(
        #"{"normalizer":{"type":"Precompiled","precompiled_charsmap":"%%"},"# + model + "}")
    }
      == "t.json: normalizer.precompiled_charsmap is not valid base64")
  #expect(
    description {
      _ = try tokenizer(
        #"{"normalizer":{"type":"Sequence","normalizers":[{"type":"NFC"},{"type":"Nmt"}]},"# + model
          + "}")
    } == "t.json: unsupported normalizer 'Nmt' in normalizer.normalizers[1]")
  #expect(
    description { _ = try tokenizer(#"{"pre_tokenizer":{"type":"UnicodeScripts"},"# + model + "}") }
      == "t.json: unsupported pre-tokenizer 'UnicodeScripts' in pre_tokenizer")
  #expect(
    description {
      _ = try tokenizer(#"{"model":{"type":"WordLevel","vocab":{"a":0},"unk_token":"a"}}"#)
    }
      == "t.json: unsupported model 'WordLevel'")
  #expect(
    description {
      _ = try tokenizer(#"{"model":{"type":"BPE","vocab":{"a":0},"merges":[],"dropout":0.1}}"#)
    }
      == "t.json: unsupported model.dropout 0.1 (only null)")
  let badRegex = description {
    _ = try tokenizer(
      #"{"pre_tokenizer":{"type":"Split","pattern":{"Regex":"(unclosed"},"behavior":"Isolated","invert":false},"#
        + model + "}")
  }
  #expect(
    badRegex?.hasPrefix(#"t.json: pre_tokenizer: unsupported regular expression "(unclosed""#)
      == true)
  #expect(
    description {
      _ = try tokenizer(
        #"{"pre_tokenizer":{"type":"Split","pattern":{"String":"x"},"behavior":"Sideways","invert":false},"#
          + model + "}")
    } == "t.json: unsupported pre_tokenizer.behavior 'Sideways'")
}

@Test func malformedFilesAreNamed() throws {
  #expect(
    description { _ = try tokenizer(#"{"model":{"type":"BPE","vocab":{"a":0},"merges":["a b"]}}"#) }
      == #"t.json: model.merges[0]: token "b" is not in the vocabulary"#)
  #expect(
    description { _ = try tokenizer(#"{"model":{"type":"BPE","vocab":{"a":0},"merges":["ab"]}}"#) }
      == "t.json: model.merges[0] must hold two tokens separated by a space")
  #expect(
    description { _ = try tokenizer(#"{"model":{"type":"BPE","vocab":{"a":0}}}"#) }
      == "t.json: model.merges must be an array")
  let wordPiece = try tokenizer(
    #"{"model":{"type":"WordPiece","vocab":{"a":0},"unk_token":"[UNK]"}}"#)
  #expect(
    description { _ = try wordPiece.encode("b") }
      == #"t.json: model.unk_token "[UNK]" is not in the vocabulary"#)
  #expect(throws: TokenizationError.self) {
    try Tokenizer(contentsOf: "/nonexistent/tokenizer.json")
  }
  #expect(
    description { _ = try Tokenizer(contentsOf: "/nonexistent/tokenizer.json") }
      == "/nonexistent/tokenizer.json: cannot read the file: open failed: No such file or directory (ENOENT)")
}

@Test func addedTokensHonourTheirOptions() throws {
  let json = """
    {"added_tokens":[
      {"id":10,"content":"<x>","single_word":false,"lstrip":true,"rstrip":true,"normalized":false,"special":true},
      {"id":11,"content":"ab","single_word":true,"lstrip":false,"rstrip":false,"normalized":true,"special":false}],
     "normalizer":{"type":"Lowercase"},
     \(smallBPE)"merges":["a b"]}}
    """
  let tokenizer = try tokenizer(json)
  #expect(
    try tokenizer.encode("a <x> b") == Encoding(ids: [0, 10, 1], tokens: ["a", " <x> ", "b"]))
  // Matched after lowercasing.
  #expect(try tokenizer.encode("AB") == Encoding(ids: [11], tokens: ["ab"]))
  // Not a single word: the model's "ab" (id 2).
  #expect(try tokenizer.encode("cab").ids == [5, 2])
  // Not matched: "<", "x", ">" are unknown and dropped.
  #expect(try tokenizer.encode("<X>").ids == [])
}

@Test func filesThatCannotBeReadAreNamed() throws {
  let scratch = try ScratchDirectory()
  let broken = scratch.path("broken.json")
  try Data(#"{"model": {"vocab": {"a": 0},}}"#.utf8).write(to: broken)
  let message = description { _ = try Tokenizer(contentsOf: FilePath(broken.path)) }
  #expect(message?.hasPrefix("\(broken.path): invalid JSON: ") == true)
  #expect(
    description { _ = try Tokenizer(contentsOf: FilePath(scratch.url.path)) }
      == "\(scratch.url.path): cannot read the file: read failed: Is a directory (EISDIR)")
}

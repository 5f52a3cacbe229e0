// libFuzzer target: reading the bytes each vocabulary entry stands for (VocabularyBytes,
// ByteSpelling), as transplant matches tokens by them.
// The input is a tokenizer.json text, optionally followed by a NUL byte and a token string. The
// file's entries are read; the token string is read under the file's spelling and under each of
// the four spellings (byte-level, Metaspace, byte fallback, WordPiece). Checked: a byte-fallback
// piece is one byte; a byte-level string of alphabet scalars reads back to bytes that spell it
// again; a WordPiece continuation is the string without its prefix.
import StrictJSON
import Tokenization

let spellings: [JSONValue] = [
  #"{"model":{"type":"BPE","vocab":{}},"decoder":{"type":"ByteLevel"}}"#,
  #"{"model":{"type":"BPE","vocab":{},"byte_fallback":true},"decoder":{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"}]}}"#,
  #"{"model":{"type":"Unigram","vocab":[]},"pre_tokenizer":{"type":"Metaspace","replacement":"▁","prepend_scheme":"always"}}"#,
  ###"{"model":{"type":"WordPiece","vocab":{}},"decoder":{"type":"WordPiece","prefix":"##"}}"###,
].compactMap { try? JSONParser.parse(Array($0.utf8)) }

func check(_ text: String, _ spelling: ByteSpelling) {
  let (read, fallback) = spelling.bytes(ofModelToken: text)
  _ = read.description
  if fallback { precondition(read.bytes.count == 1, "a byte-fallback piece is one byte") }
  if spelling.byteLevel, !fallback, spelling.continuationPrefix == nil, spelling.replacements.isEmpty {
    let respelled = ByteSpelling.byteLevelText(of: read.bytes)
    if text.unicodeScalars.allSatisfy(alphabet.contains) {
      precondition(respelled == text, "a byte-level string reads back to itself")
    }
  }
  if let prefix = spelling.continuationPrefix, read.position == .continuation {
    precondition(text.hasPrefix(prefix), "a continuation starts with the prefix")
    precondition(read.bytes == Array(text.utf8.dropFirst(prefix.utf8.count)), "a continuation is the rest")
  }
}

let alphabet = Set(ByteSpelling.byteLevelText(of: Array(0...255)).unicodeScalars)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let all = UnsafeBufferPointer(start: data, count: size)
  let split = all.firstIndex(of: 0) ?? size
  let token = split < size ? String(decoding: UnsafeBufferPointer(rebasing: all[(split + 1)...]), as: UTF8.self) : nil
  if let json = try? JSONParser.parse(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(all)[0..<split])),
    let vocabulary = try? TokenizerVocabulary(json: json, path: "fuzz.json")
  {
    let bytes = VocabularyBytes(json: json, vocabulary: vocabulary)
    for id in 0..<min(bytes.size, 4096) {
      guard let entry = bytes.entry(for: id) else { continue }
      if entry.added == nil { check(entry.token.text, bytes.spelling) }
    }
    _ = bytes.byteTokenIDs
    if let token { check(token, bytes.spelling) }
  }
  if let token {
    for json in spellings { check(token, ByteSpelling(tokenizerJSON: json)) }
  }
  return 0
}

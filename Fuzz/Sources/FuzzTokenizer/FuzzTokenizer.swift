// libFuzzer target: the tokenizer.json loader and encoder.
// The input is a tokenizer.json text, optionally followed by a NUL byte and a text to encode
// (JSON text cannot hold a raw NUL). A loaded tokenizer encodes a few fixed texts and that one;
// every id it returns must be a valid id of its vocabulary.
import StrictJSON
import Tokenization

let fixedTexts = [
  "", "Hello world", "  héllo\tWORLD 123 4567 ", "<s>Hi</s> [CLS] don't", "naïve café 😀 ﬁ 你好",
  "\u{0}\u{1}\r\n\u{300}",
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let all = UnsafeBufferPointer(start: data, count: size)
  let split = all.firstIndex(of: 0) ?? size
  let jsonBytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(all)[0..<split])
  guard let json = try? JSONParser.parse(jsonBytes) else { return 0 }
  guard let tokenizer = try? Tokenizer(json: json, path: "fuzz.json") else {
    _ = try? TokenizerVocabulary(json: json, path: "fuzz.json")
    return 0
  }
  var texts = fixedTexts
  if split < size {
    texts.append(String(decoding: UnsafeBufferPointer(rebasing: all[(split + 1)...]), as: UTF8.self))
  }
  let vocabulary = tokenizer.vocabulary
  for text in texts {
    guard let encoding = try? tokenizer.encode(text) else { continue }
    precondition(encoding.ids.count == encoding.tokens.count, "ids and tokens differ in count")
    for id in encoding.ids { precondition(id >= 0 && id < max(vocabulary.size, 1), "id out of range") }
  }
  return 0
}

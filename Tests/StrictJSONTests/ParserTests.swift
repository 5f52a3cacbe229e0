import StrictJSON
import Testing

@Suite struct ParserTests {
  @Test func parsesNestedValuesInOrder() throws {
    let value = try JSONParser.parse(Array(#" {"b":[1,-2.5e3,true,null],"a":"x\u00e9\ud83d\ude00"} "#.utf8))
    #expect(value.members?.map(\.key) == ["b", "a"])
    #expect(value["b"]?.elements?[1].number?.literal == "-2.5e3")
    #expect(value["a"]?.string == "xé😀")
  }

  @Test(arguments: [
    "01", "1.", ".5", "+1", "1e", "-", "NaN", "[1,]", "{\"a\":1,}", "\"\\x\"", "\"\\ud800\"",
    "\"\\udc00\"", "\"a\nb\"", "\u{0C}1", "1 2", "{\"a\" 1}", "tru", "[",
  ])
  func rejectsInvalidText(_ text: String) {
    #expect(throws: JSONError.self) { try JSONParser.parse(Array(text.utf8)) }
  }

  @Test func rejectsInvalidUTF8() {
    #expect(throws: JSONError.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
  }

  @Test func limitsNesting() throws {
    let deepest = String(repeating: "[", count: 127) + String(repeating: "]", count: 127)
    _ = try JSONParser.parse(Array(deepest.utf8))
    let tooDeep = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
    #expect(throws: JSONError(offset: 127, reason: .tooDeep(limit: 128))) {
      try JSONParser.parse(Array(tooDeep.utf8))
    }
  }

  @Test func duplicateKeysAreRejectedOnRequestByBytes() throws {
    let composed = "{\"\u{E9}\":1,\"e\u{301}\":2}"
    let value = try JSONParser.parse(Array(composed.utf8), options: .init(allowsDuplicateKeys: false))
    #expect(value.members?.count == 2)
    #expect(throws: JSONError.self) {
      try JSONParser.parse(Array(#"{"a":1,"a":2}"#.utf8), options: .init(allowsDuplicateKeys: false))
    }
    #expect(try JSONParser.parse(Array(#"{"a":1,"a":2}"#.utf8)).members?.count == 2)
  }
}

import StrictJSON
import Testing

@Suite struct RenameKeyTests {
  func rename(_ text: String, _ key: String, _ newKey: String, at path: [JSONDocument.PathComponent]) throws -> (
    Bool, String
  ) {
    var document = try JSONDocument(bytes: Array(text.utf8))
    let done = document.renameKey(key, to: newKey, inObjectAt: path)
    return (done, String(decoding: document.bytes, as: UTF8.self))
  }

  @Test func renamesOnlyTheKeyKeepingLayoutAndOrder() throws {
    let text = "{\n  \"model\": {\n    \"vocab\": {\"[PAD]\": 0, \"[unused0]\": 1,\"x\" : {\"[unused0]\": 2}}\n  }\n}\n"
    let (done, result) = try rename(text, "[unused0]", "<|AtLocation|>", at: ["model", "vocab"])
    #expect(done)
    #expect(
      result
        == "{\n  \"model\": {\n    \"vocab\": {\"[PAD]\": 0, \"<|AtLocation|>\": 1,\"x\" : {\"[unused0]\": 2}}\n  }\n}\n"
    )
  }

  @Test func escapedKeysAreComparedDecodedAndNewKeysAreQuoted() throws {
    let (done, result) = try rename("{\"a\\u00e9\": 1, \"b\": 2}", "aé", "q\"\n", at: [])
    #expect(done)
    #expect(result == "{\"q\\\"\\n\": 1, \"b\": 2}")
    #expect(try JSONParser.parse(Array(result.utf8))["q\"\n"] == .number(JSONNumber(1)))
  }

  @Test func missingKeyOrNonObjectLeavesTheTextAlone() throws {
    let text = "{\"a\": [1, {\"b\": 2}], \"e\": {}}"
    for (key, path) in [("zz", [JSONDocument.PathComponent]()), ("b", ["a"]), ("b", ["e"]), ("b", ["missing"])] {
      let (done, result) = try rename(text, key, "new", at: path)
      #expect(!done)
      #expect(result == text)
    }
    // Keys compare by UTF-8 bytes: precomposed é is not e + U+0301.
    let (done, _) = try rename("{\"\u{E9}\": 1}", "e\u{301}", "x", at: [])
    #expect(!done)
  }
}

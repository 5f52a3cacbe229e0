import Foundation
import StrictJSON
import Testing

@Suite struct DocumentTests {
  @Test func appendsToPrettyArrayLikeItsNeighbours() throws {
    let text =
      "{\n  \"version\": \"1.0\",\n  \"added_tokens\": [\n    {\n      \"id\": 0\n    }\n  ],\n  \"x\": 1.50\n}"
    var document = try JSONDocument(bytes: Array(text.utf8))
    let appended = document.append([.object([JSONMember("id", 5)])], toArrayAt: ["added_tokens"])
    #expect(appended)
    let expected =
      "{\n  \"version\": \"1.0\",\n  \"added_tokens\": [\n    {\n      \"id\": 0\n    },\n    {\n      \"id\": 5\n    }\n  ],\n  \"x\": 1.50\n}"
    #expect(String(decoding: document.bytes, as: UTF8.self) == expected)
  }

  @Test func appendsToEmptyPrettyArray() throws {
    var document = try JSONDocument(bytes: Array("{\n  \"a\": []\n}".utf8))
    document.append([1, 2], toArrayAt: ["a"])
    #expect(String(decoding: document.bytes, as: UTF8.self) == "{\n  \"a\": [\n    1,\n    2\n  ]\n}")
  }

  @Test func editsSpacedOneLineObjects() throws {
    var document = try JSONDocument(bytes: Array(#"{"a": 1, "b": [true]}"#.utf8))
    document.set("c", to: .array(["x", "y"]), inObjectAt: [])
    document.set("a", to: 30522, inObjectAt: [])
    #expect(String(decoding: document.bytes, as: UTF8.self) == #"{"a": 30522, "b": [true], "c": ["x", "y"]}"#)
  }

  @Test func replacesNestedValuesOnly() throws {
    let text = "{\n  \"text_config\": {\n    \"vocab_size\": 10,\n    \"é\": 1e5\n  },\n  \"vocab_size\": 10\n}\n"
    var document = try JSONDocument(bytes: Array(text.utf8))
    document.replace(["text_config", "vocab_size"], with: 12)
    document.replace(["vocab_size"], with: 12)
    #expect(String(decoding: document.bytes, as: UTF8.self) == text.replacingOccurrences(of: "10", with: "12"))
  }
}

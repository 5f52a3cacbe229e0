import StrictJSON
import Testing

/// `replace(_:)` with several edits (one pass) against `replace(_:with:)` called edit by edit.
@Suite struct ReplaceAllTests {
  static let documents = [
    // Pretty, with a repeated key (the first member is the one edited) and an escaped key.
    "{\n  \"added_tokens\": [\n    {\n      \"id\": 0,\n      \"content\": \"<s>\"\n    },\n    {\n      \"id\": 7\n    }\n  ],\n"
      + "  \"model\": {\n    \"type\": \"BPE\",\n    \"vocab\": {\n      \"a\": 0,\n      \"b\\\"\": 1\n    },\n"
      + "    \"merges\": [\n      \"a b\",\n      \"b c\"\n    ],\n    \"a\\u0062\": 3,\n    \"type\": \"X\"\n  },\n"
      + "  \"tail\": []\n}\n",
    // One line, spaced and compact.
    #"{"added_tokens": [{"id": 0}, {"id": 7}], "model": {"vocab": {"a": 0}, "merges": [], "ab": 3}, "tail": []}"#,
    #"{"added_tokens":[{"id":0},{"id":7}],"model":{"vocab":{},"merges":[["a","b"]],"ab":3},"tail":[1]}"#,
  ]

  static let edits: [(path: [JSONDocument.PathComponent], value: JSONValue)] = [
    (["model", "merges"], .array(["x y", .array(["p", "q"])])),
    (["added_tokens", 1, "id"], 3),
    (["model", "vocab"], .object([JSONMember("z", 0), JSONMember("y\n", .object([]))])),
    (["added_tokens", 0, "id"], 1),
    (["model", "ab"], .array([])),
    (["tail"], .object([JSONMember("k", .array([1, 2]))])),
  ]

  @Test(arguments: documents)
  func oneReplaceOfManyEqualsOneByOne(text: String) throws {
    var document = try JSONDocument(bytes: Array(text.utf8))
    var oneByOne = document
    for edit in Self.edits {
      let replaced = oneByOne.replace(edit.path, with: edit.value)
      #expect(replaced)
    }
    let replaced = document.replace(Self.edits)
    #expect(replaced)
    #expect(String(decoding: document.bytes, as: UTF8.self) == String(decoding: oneByOne.bytes, as: UTF8.self))
    _ = try document.value()
  }

  @Test(arguments: documents)
  func rangesEqualOneByOne(text: String) throws {
    let document = try JSONDocument(bytes: Array(text.utf8))
    let paths: [[JSONDocument.PathComponent]] = [
      ["model", "type"], ["model", "merges", 0], ["added_tokens", 1], [], ["model", "vocab", "b\""], ["model", "ab"],
      ["tail", 0], ["added_tokens", 2], ["model", "nothing"], ["model", "type", 0], ["added_tokens", "id"],
      ["model", "vocab"], ["model"],
    ]
    #expect(document.ranges(of: paths) == paths.map { document.range(of: $0) })
  }

  /// Strings and containers are skipped eight bytes at a time: quotes, backslashes and brackets
  /// at every offset of a word, inside strings and out, and every tail shorter than a word, leave
  /// every range exact (each element's text parses to the element).
  @Test func skipsWordByWordExactly() throws {
    let fragments = ["", "a", #"\""#, #"\\"#, "[", "]", "{", "}", #"ab\\\"c"#, "é", #"\u005b"#, #"\\\\"#]
    var elements: [String] = []
    for length in 0..<12 {
      for (index, fragment) in fragments.enumerated() {
        let padding = String(repeating: "x", count: (length + index) % 9)
        elements.append("\"" + padding + fragment + padding + "\"")
        elements.append("[\"" + fragment + "\"" + String(repeating: " ", count: length) + "]")
        elements.append("{\"k" + fragment + "\": [[" + String(repeating: "1,", count: length) + "2]]}")
      }
    }
    for end in ["]}", "]}\n", "]\n}\n   "] {
      let text =
        #"{"skipped": ["# + elements.joined(separator: ",") + #"], "after": ["# + elements.joined(separator: ", ") + end
      let document = try JSONDocument(bytes: Array(text.utf8))
      let after = try #require(try document.value()["after"]?.elements)
      let paths: [[JSONDocument.PathComponent]] = elements.indices.map { ["after", .index($0)] }
      let ranges = document.ranges(of: paths)
      #expect(ranges == paths.map { document.range(of: $0) })
      for (element, range) in zip(after, ranges) {
        let range = try #require(range)
        #expect(try JSONParser.parse(Array(document.bytes[range])) == element)
      }
      let whole = try #require(document.range(of: ["after"]))
      #expect(whole.upperBound == text.utf8.count - end.utf8.count + 1)
    }
  }

  /// A document opened with its parse (``JSONDocument/open(_:)``) notes where its containers of
  /// 64 KiB or more end and skips them in one step: the same ranges and the same edits as a
  /// document that reads them, and after an edit (which drops the notes) too.
  @Test func largeContainersNotedByTheParseGiveTheSameRangesAndEdits() throws {
    let vocabulary = (0..<6_000).map { #""t\#($0)\"[{": "# + String($0) }.joined(separator: ",\n      ")
    let merges = (0..<6_000).map { #"["a\#($0)", "]b"]"# }.joined(separator: ", ")
    let text =
      "{\n  \"added_tokens\": [{\"id\": 1}, {\"id\": 2}],\n  \"model\": {\n    \"vocab\": {\n      " + vocabulary
      + "\n    },\n    \"merges\": [" + merges + "],\n    \"x\": [1, {\"y\": 2}]\n  },\n  \"post\": {\"id\": 3}\n}\n"
    let bytes = Array(text.utf8)
    let opened = try JSONDocument.open(bytes).document
    let plain = JSONDocument(validBytes: bytes)
    let paths: [[JSONDocument.PathComponent]] = [
      ["model", "vocab"], ["model", "merges"], ["model", "x", 1, "y"], ["post", "id"], ["added_tokens", 1, "id"],
      ["model"], ["model", "vocab", "t5999\"[{"], ["model", "merges", 5999, 1],
    ]
    let root = try #require(plain.range(of: []))
    let model = try #require(plain.range(of: ["model"]))
    let vocab = try #require(plain.range(of: ["model", "vocab"]))
    let mergesRange = try #require(plain.range(of: ["model", "merges"]))
    #expect(
      opened.containerEnds == [
        root.lowerBound: root.upperBound, model.lowerBound: model.upperBound, vocab.lowerBound: vocab.upperBound,
        mergesRange.lowerBound: mergesRange.upperBound,
      ])
    #expect(plain.containerEnds.isEmpty)
    #expect(opened.ranges(of: paths) == plain.ranges(of: paths))
    #expect(paths.map { opened.range(of: $0) } == paths.map { plain.range(of: $0) })
    var openedEdited = opened
    var plainEdited = plain
    let edits: [(path: [JSONDocument.PathComponent], value: JSONValue)] = [
      (["model", "vocab"], .object([JSONMember("z", 0)])), (["post", "id"], 4), (["model", "x", 1, "y"], 5),
    ]
    #expect(openedEdited.replace(edits) && plainEdited.replace(edits))
    #expect(openedEdited.bytes == plainEdited.bytes)
    #expect(openedEdited.containerEnds.isEmpty)
    #expect(openedEdited.ranges(of: paths) == JSONDocument(validBytes: openedEdited.bytes).ranges(of: paths))
  }

  @Test func refusesPathsThatLeadNowhereOrOverlap() throws {
    let text = #"{"a": {"b": [1, 2]}, "c": 3}"#
    var document = try JSONDocument(bytes: Array(text.utf8))
    let nowhere = document.replace([(["c"], 4), (["d"], 5)])
    let nested = document.replace([(["a"], 4), (["a", "b", 1], 5)])
    let twice = document.replace([(["c"], 4), (["c"], 5)])
    #expect(!nowhere && !nested && !twice)
    #expect(String(decoding: document.bytes, as: UTF8.self) == text)
    let nothing = document.replace([])
    #expect(nothing)
    #expect(String(decoding: document.bytes, as: UTF8.self) == text)
  }

  @Test func readsIntegersExactly() throws {
    let cases: [(String, Int?)] = [
      ("0", 0), ("-0", 0), ("42", 42), ("-17", -17), ("9223372036854775807", .max), ("-9223372036854775808", .min),
      ("9223372036854775808", nil), ("-9223372036854775809", nil), ("1.0", nil), ("1e3", nil), ("-1E3", nil),
      ("123456789012345678901234567890", nil),
    ]
    for (literal, expected) in cases {
      let value = try JSONParser.parse(Array(literal.utf8))
      #expect(value.number?.int == expected, "\(literal)")
    }
  }
}

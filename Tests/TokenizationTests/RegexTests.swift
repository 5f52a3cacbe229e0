import Testing

@testable import Tokenization

/// What `Split(Regex(pattern), "isolated")` cuts `text` into, the HF library's answers computed
/// with Oniguruma (Ruby syntax).
@Test(arguments: [
  ("a.b", "a\rb a\u{85}b a\nb a\u{2028}b", ["a\rb", " ", "a\u{85}b", " a\nb ", "a\u{2028}b"]),
  ("x$", "x\nx\rx\u{2028}x", ["x", "\nx\rx\u{2028}", "x"]),
  (#"\h+"#, "ff 12 zz", ["ff", " ", "12", " zz"]),
  (#"[\h_]+"#, "f_1 z", ["f_1", " z"]),
  (#"[]a]+"#, "x]a]y", ["x", "]a]", "y"]),
  (#"\p{N}{1,3}"#, "12345", ["123", "45"]),
  ("x*", "axxb", ["a", "xx", "b"]),
])
func regexPatternsFollowOniguruma(pattern: String, text: String, pieces: [String]) throws {
  let regex = try ScalarRegex(pattern, context: "pre_tokenizer", path: "t.json")
  let split = SplitPattern.regex(regex).split(NormalizedText(text), behavior: .isolated)
  #expect(split.map(\.string) == pieces)
}

@Test func regexConstructsSwiftCannotMatchAreRejected() {
  #expect(throws: TokenizationError.self) {
    try ScalarRegex("^x", context: "pre_tokenizer", path: "t.json")
  }
  do {
    _ = try ScalarRegex(#"[^\H]"#, context: "normalizer", path: "t.json")
    Issue.record("expected an error")
  } catch {
    #expect(
      error.description
        == #"t.json: normalizer: unsupported regular expression "[^\\H]": \H inside a character class"#
    )
  }
}

/// Empty matches, as Oniguruma's iterator gives them (none right after a match).
@Test func emptyMatchesFollowOniguruma() throws {
  let regex = try ScalarRegex("x*", context: "normalizer", path: "t.json")
  #expect(regex.matches(in: Array("axxb".unicodeScalars)) == [0..<0, 1..<3, 4..<4])
  let merged = SplitPattern.regex(regex).split(NormalizedText("axxb"), behavior: .mergedWithNext)
  #expect(merged.map(\.string) == ["a", "xxb"])
  var text = NormalizedText("axxb")
  Normalizer.replace(&text, pattern: .regex(regex), content: ["-"])
  #expect(text.string == "-a-b-")
  var empty = NormalizedText("ab")
  Normalizer.replace(&empty, pattern: .literal([]), content: ["-"])
  #expect(empty.string == "-a-b-")
  var nothing = NormalizedText("")
  Normalizer.replace(&nothing, pattern: .regex(regex), content: ["-"])
  #expect(nothing.string == "")
}

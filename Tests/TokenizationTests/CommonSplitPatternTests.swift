import Foundation
import SystemPackage
import TestSupport
import Testing

@testable import Tokenization

/// The hand-written matchers of the common split patterns against the regular expressions they
/// replace (``ScalarRegex``, Swift's `Regex`): the same spans on real text and on random text.
///
/// One known difference, where the matchers follow Oniguruma and `Regex` does not: in `(?i:...)`,
/// U+017F (long s) matches `s` (Unicode case folding); texts holding it are compared with the HF
/// library's answers instead (``llama3FollowsOniguruma(text:pieces:)`` and the corpus tests).
@Suite struct CommonSplitPatternTests {

  /// Scalars that exercise every branch of the patterns: letters of each case (Lu, Ll, Lt, Lm, Lo,
  /// in and out of the Basic Multilingual Plane), marks (Mn, Mc, Me), numbers (Nd, Nl, No),
  /// spaces and line breaks, apostrophes and the contractions' letters, punctuation, `/`, emoji,
  /// unassigned and private-use code points.
  static let alphabet: [Unicode.Scalar] = Array(
    "aZé中ǅʰжЖ𝐀𐐀\u{301}\u{903}\u{20DD}07٣Ⅻ½ \t\u{A0}\u{2028}\u{3000}\u{85}\r\n'stdmrevlSTDMREVL.,!?/-\"😀\u{378}\u{E000}"
      .unicodeScalars)

  /// Random texts over ``alphabet``, biased to the scalars that decide matches (spaces, `'`,
  /// line breaks, letters), from a fixed seed.
  static func randomTexts(count: Int, seed: UInt64) -> [[Unicode.Scalar]] {
    var state = seed
    func next() -> Int {
      // SplitMix64.
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return Int(truncatingIfNeeded: (z ^ (z >> 31)) >> 1)
    }
    let frequent: [Unicode.Scalar] = [" ", " ", "'", "\n", "\r", "a", "s", "L", "\t"]
    return (0..<count).map { _ in
      (0..<(next() % 24)).map { _ in
        next() % 3 == 0 ? frequent[next() % frequent.count] : alphabet[next() % alphabet.count]
      }
    }
  }

  /// The texts of the test corpora (English, 20 languages, code, chat markup, emoji, tricky
  /// Unicode) and, when Debian's `fortunes-ru` is installed, Russian fortunes; those holding a long
  /// s left out.
  static func realTexts() throws -> [[Unicode.Scalar]] {
    var texts: [String] = []
    for name in ["corpus.json", "trim-corpus.json"] {
      let json = try TokenizationResources.json(TokenizationResources.folder.appendingPathComponent(name))
      texts += (json["texts"]?.elements ?? []).compactMap(\.string)
    }
    #expect(texts.count > 600)
    if let russian = try? String(contentsOfFile: "/usr/share/games/fortunes/ru/2001.03.u8", encoding: .utf8) {
      texts += russian.split(separator: "%").map(String.init)
    }
    texts.removeAll { $0.unicodeScalars.contains("\u{17F}") }
    // All the texts at once too: long runs, line breaks between texts.
    texts.append(texts.joined(separator: "\n"))
    return texts.map { Array($0.unicodeScalars) }
  }

  @Test(arguments: CommonSplitPattern.allCases)
  func matchesEqualTheRegularExpressionOnRealText(pattern: CommonSplitPattern) throws {
    let regex = try ScalarRegex(pattern.pattern, context: "pre_tokenizer", path: "t.json")
    for text in try Self.realTexts() {
      let expected = regex.matches(in: text)
      let found = pattern.matches(in: text)
      #expect(found == expected, "\(String(String.UnicodeScalarView(text)).prefix(200).debugDescription)")
      if found != expected { break }
    }
  }

  @Test(arguments: CommonSplitPattern.allCases)
  func matchesEqualTheRegularExpressionOnRandomText(pattern: CommonSplitPattern) throws {
    let regex = try ScalarRegex(pattern.pattern, context: "pre_tokenizer", path: "t.json")
    var failures = 0
    for text in Self.randomTexts(count: 20_000, seed: 19) {
      let expected = regex.matches(in: text)
      let found = pattern.matches(in: text)
      if found != expected && failures < 5 {
        failures += 1
        Issue.record(
          "\(String(String.UnicodeScalarView(text)).debugDescription): \(found) instead of \(expected)")
      }
    }
  }

  /// The patterns are recognized by their exact text only; any other text stays a regular
  /// expression.
  @Test func onlyTheExactPatternTextsAreRecognized() throws {
    for pattern in CommonSplitPattern.allCases {
      #expect(CommonSplitPattern(pattern: pattern.pattern) == pattern)
      #expect(CommonSplitPattern(pattern: "(?:\(pattern.pattern))") == nil)
      #expect(CommonSplitPattern(pattern: pattern.pattern + " ") == nil)
    }
    // The real files' patterns: the o200k fixture's second step, Llama 3's first.
    for (url, step, expected) in [
      (try TokenizationResources.tokenizerURL("split-o200k"), 1, CommonSplitPattern.o200k),
      (try TokenizationResources.tokenizerURL("llama3"), 0, .llama3),
    ] {
      let json = try TokenizationResources.json(url)
      let steps = try json["pre_tokenizer"]?["pretokenizers"]?.elements?.map {
        try PreTokenizer(json: $0, context: "pre_tokenizer", path: "t.json")
      }
      guard let steps, case .split(.common(let found), .isolated, false) = steps[step], found == expected else {
        Issue.record("\(url.lastPathComponent): the pattern is not matched by hand")
        continue
      }
    }
  }

  /// What the HF library (Oniguruma) cuts these texts into with Llama 3's pattern: `(?i:...)`
  /// folds case by Unicode's case folding, under which U+017F (long s) is `s`.
  @Test(arguments: [
    ("'ſx it'S 'lLx", ["'ſ", "x", " it", "'S", " '", "lLx"]),
    ("x  \r\n\t\r y 12345", ["x", "  \r\n\t\r", " y", " ", "123", "45"]),
  ])
  func llama3FollowsOniguruma(text: String, pieces: [String]) {
    let scalars = Array(text.unicodeScalars)
    let found = CommonSplitPattern.llama3.matches(in: scalars).map {
      String(String.UnicodeScalarView(scalars[$0]))
    }
    #expect(found == pieces)
  }

  /// The public pre-tokenization: SmolLM2's `ByteLevel` (GPT-2's pattern by hand, the byte-level
  /// alphabet), as the HF library's `pre_tokenize_str` gives it; an added token is one piece.
  @Test func preTokenizeGivesTheHFLibrarysPieces() throws {
    let url = try TestEnvironment.thirdParty("smollm2-135m-hf", "tokenizer.json")
    let tokenizer = try Tokenizer(contentsOf: FilePath(url.path))
    #expect(
      tokenizer.preTokenize("Hello  world's 123\n\tпривет 😀<|x")
        == ["Hello", "Ġ", "Ġworld", "'s", "Ġ123", "Ċ", "ĉ", "Ð¿ÑĢÐ¸Ð²ÐµÑĤ", "ĠðŁĺĢ<|", "x"])
    #expect(tokenizer.preTokenize("a<|im_start|>b") == ["a", "<|im_start|>", "b"])
  }
}

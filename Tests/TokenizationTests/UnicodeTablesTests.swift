import Foundation
import Testing

@testable import Tokenization

/// The generated decomposition and composition tables (`UnicodeNormalization+Tables.swift`)
/// against Foundation, which the engine asked before: the same answers for every scalar and every
/// pair the engine can ask about, so that the tables change nothing.
@Suite struct UnicodeTablesTests {
  /// What the engine did before: the scalars below U+00A0 and those Unicode 9.0 did not assign
  /// unchanged, the others decomposed by Foundation (the mappings of a one-scalar string).
  static func foundationDecomposition(_ scalar: Unicode.Scalar, compatibility: Bool)
    -> [Unicode.Scalar]
  {
    if scalar.value < 0xA0 || !UnicodeNormalization.isKnown(scalar) { return [scalar] }
    let text = String(scalar)
    let decomposed =
      compatibility
      ? text.decomposedStringWithCompatibilityMapping : text.decomposedStringWithCanonicalMapping
    return Array(decomposed.unicodeScalars)
  }

  /// What the engine did before: Foundation's composition of the pair when it is one scalar that
  /// Unicode 9.0 assigned, other than `first`.
  static func foundationComposite(_ first: Unicode.Scalar, _ second: Unicode.Scalar)
    -> Unicode.Scalar?
  {
    guard UnicodeNormalization.isKnown(first) else { return nil }
    var pair = String.UnicodeScalarView()
    pair.append(first)
    pair.append(second)
    let composed = String(pair).precomposedStringWithCanonicalMapping.unicodeScalars
    guard composed.count == 1, let result = composed.first,
      UnicodeNormalization.isKnown(result), result != first
    else { return nil }
    return result
  }

  static let allScalars = (0...0x10FFFF).compactMap(Unicode.Scalar.init(_:))

  @Test func everyScalarDecomposesAsFoundationDecomposesIt() {
    var decomposing = 0
    var mismatches: [String] = []
    for scalar in Self.allScalars {
      for compatibility in [false, true] {
        let tables = UnicodeNormalization.decompose(scalar, compatibility: compatibility)
        let foundation = Self.foundationDecomposition(scalar, compatibility: compatibility)
        if tables != foundation {
          let name = "U+\(String(scalar.value, radix: 16)) \(compatibility ? "NFKD" : "NFD")"
          mismatches.append("\(name): \(tables) != \(foundation)")
        }
        if compatibility && foundation != [scalar] { decomposing += 1 }
      }
    }
    #expect(mismatches.isEmpty, "\(mismatches.count): \(mismatches.prefix(20))")
    // The 5722 scalars of the table and the 11172 Hangul syllables.
    #expect(decomposing == 5722 + 11172)
  }

  /// Every pair composition can meet in the engine: a first scalar that is a starter and a
  /// possible composite or the first part of a canonical decomposition, followed by a scalar of a
  /// canonical decomposition in canonical order (the engine reorders the marks before it
  /// composes). That covers every canonical pair.
  @Test func everyPairComposesAsFoundationComposesIt() {
    var firsts: Set<Unicode.Scalar> = []
    var seconds: Set<Unicode.Scalar> = []
    for scalar in Self.allScalars where UnicodeNormalization.isKnown(scalar) {
      let parts = Self.foundationDecomposition(scalar, compatibility: false)
      guard parts.count > 1 else { continue }
      firsts.insert(parts[0])
      seconds.formUnion(parts.dropFirst())
      // Hangul syllables as first scalars are the algorithm's, unchanged.
      let isSyllable = (0xAC00...0xD7A3).contains(scalar.value)
      // (Scalars, not strings: `==` on strings is canonical equivalence.)
      let composed = Array(String(scalar).precomposedStringWithCanonicalMapping.unicodeScalars)
      if !isSyllable && composed == [scalar] { firsts.insert(scalar) }
    }
    var checked = 0
    var composites = 0
    // (first, second, the tables' composite, Foundation's) where they differ.
    var mismatches: [[UInt32?]] = []
    for first in firsts where UnicodeNormalization.combiningClass(first) == 0 {
      let lastClass = UnicodeNormalization.combiningClass(
        Self.foundationDecomposition(first, compatibility: false).last!)
      for second in seconds {
        let secondClass = UnicodeNormalization.combiningClass(second)
        guard secondClass == 0 || secondClass >= lastClass else { continue }
        checked += 1
        let tables = UnicodeNormalization.compose(first, second)
        let foundation = Self.foundationComposite(first, second)
        if tables != nil { composites += 1 }
        if tables != foundation {
          mismatches.append([first.value, second.value, tables?.value, foundation?.value])
        }
      }
    }
    // Foundation's one mistake: it leaves U+0CCA U+0CD5 apart, where Unicode composes them into
    // U+0CCB KANNADA VOWEL SIGN OO (as the HF library does; see the test below).
    #expect(mismatches == [[0x0CCA, 0x0CD5, 0x0CCB, nil]])
    #expect(checked > 100_000)
    // The 940 primary composites of the table and the 399 LV syllables (an LV syllable and a
    // trailing consonant are not in these pairs: the syllables are no first scalars here).
    #expect(composites == 940 + 399)
  }

  /// What HF's NFC and NFKC make of U+0CCB KANNADA VOWEL SIGN OO (U+0CC6 U+0CC2 U+0CD5 when
  /// decomposed), computed with tokenizers 0.23.3: the character again, where Foundation's
  /// composition left U+0CCA U+0CD5.
  @Test(arguments: [UnicodeNormalization.Form.nfc, .nfkc])
  func kannadaVowelSignOOComposesAsInHF(form: UnicodeNormalization.Form) {
    for input in ["\u{0CCB}", "\u{0CCA}\u{0CD5}", "\u{0CC6}\u{0CC2}\u{0CD5}"] {
      var text = NormalizedText(input)
      UnicodeNormalization.normalize(&text, form: form)
      #expect(text.scalars.map(\.value) == [0x0CCB])
    }
  }

  /// The Hangul syllables (decomposed and composed by arithmetic, as before; Foundation leaves
  /// an LV syllable and a trailing consonant apart) come back from their decompositions.
  @Test func hangulSyllablesComposeFromTheirParts() {
    for value in UInt32(0xAC00)...0xD7A3 {
      let parts = UnicodeNormalization.decompose(Unicode.Scalar(value)!, compatibility: false)
      let composed = parts.dropFirst().reduce(parts[0]) {
        UnicodeNormalization.compose($0, $1) ?? $1
      }
      #expect(composed.value == value)
    }
  }
}

/// The character classes the common split patterns (``CommonSplitPattern``) test, as the bits of
/// one byte per scalar.
///
/// From the standard library's Unicode properties, the tables Swift's `Regex` (``ScalarRegex``)
/// reads too, so the hand-written matchers and the regular expressions see the same classes.
struct PatternClasses: OptionSet, Sendable {
  let rawValue: UInt8

  /// `\p{L}`: general category Lu, Ll, Lt, Lm or Lo.
  static let letter = PatternClasses(rawValue: 1)
  /// `\p{N}`: general category Nd, Nl or No.
  static let number = PatternClasses(rawValue: 2)
  /// `\s`: the White_Space property.
  static let whitespace = PatternClasses(rawValue: 4)
  /// `[\r\n]`.
  static let lineBreak = PatternClasses(rawValue: 8)
  /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]` (the first class of a Tekken / o200k word).
  static let wordHead = PatternClasses(rawValue: 16)
  /// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]` (the second class of a Tekken / o200k word).
  static let wordTail = PatternClasses(rawValue: 32)
  /// A scalar that is none of `\s`, `\p{L}` and `\p{N}` (`[^\s\p{L}\p{N}]`).
  static let other = PatternClasses(rawValue: 64)

  /// The classes of `scalar`, computed from its properties.
  static func compute(_ scalar: Unicode.Scalar) -> PatternClasses {
    var result: PatternClasses = []
    switch scalar.properties.generalCategory {
    case .uppercaseLetter, .titlecaseLetter: result = [.letter, .wordHead]
    case .lowercaseLetter: result = [.letter, .wordTail]
    case .modifierLetter, .otherLetter: result = [.letter, .wordHead, .wordTail]
    case .nonspacingMark, .spacingMark, .enclosingMark: result = [.wordHead, .wordTail]
    case .decimalNumber, .letterNumber, .otherNumber: result = .number
    default: break
    }
    if scalar.properties.isWhitespace { result.insert(.whitespace) }
    if scalar == "\r" || scalar == "\n" { result.insert(.lineBreak) }
    if result.isDisjoint(with: [.letter, .number, .whitespace]) { result.insert(.other) }
    return result
  }

  /// The classes of every scalar of the Basic Multilingual Plane, by value (64 KiB, built on
  /// first use); the other planes are computed on each call.
  static let basicPlane: [PatternClasses] = (0..<0x10000).map { value in
    Unicode.Scalar(UInt32(value)).map(compute) ?? .other
  }
}

/// A view of scalars with the classes of each, read through the Basic Multilingual Plane's table.
struct ClassifiedScalars {
  let scalars: UnsafeBufferPointer<Unicode.Scalar>
  let table: UnsafeBufferPointer<PatternClasses>

  var count: Int { scalars.count }

  subscript(index: Int) -> Unicode.Scalar { scalars[index] }

  /// The classes of the scalar at `index`, or none past the end.
  func classes(at index: Int) -> PatternClasses {
    guard index < scalars.count else { return [] }
    let value = Int(scalars[index].value)
    return value < table.count ? table[value] : PatternClasses.compute(scalars[index])
  }

  /// Whether the scalar at `index` exists and is in `wanted`'s classes (any of them).
  func isIn(_ wanted: PatternClasses, at index: Int) -> Bool {
    !classes(at: index).isDisjoint(with: wanted)
  }

  /// The end of the run of scalars in `wanted` that starts at `index`.
  func runEnd(of wanted: PatternClasses, from index: Int) -> Int {
    var end = index
    while end < scalars.count && isIn(wanted, at: end) { end += 1 }
    return end
  }
}

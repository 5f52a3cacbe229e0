/// The character classes the HF `tokenizers` library uses, by Unicode property.
enum UnicodeClasses {
  /// Rust's `char::is_whitespace`: the White_Space property.
  static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    scalar.properties.isWhitespace
  }

  /// Rust's `char::is_numeric`: general categories Nd, Nl and No.
  static func isNumeric(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .decimalNumber, .letterNumber, .otherNumber: true
    default: false
    }
  }

  /// Whether a scalar was assigned in Unicode `major.minor` or earlier. The HF library takes some
  /// classes from crates with old Unicode tables (`unicode_categories`: 8.0; the combining marks
  /// of `unicode-normalization-alignments`: 9.0), so newer characters are in none of them.
  static func assigned(_ scalar: Unicode.Scalar, by major: Int, _ minor: Int) -> Bool {
    guard let age = scalar.properties.age else { return false }
    return age.major < major || (age.major == major && age.minor <= minor)
  }

  /// Punctuation as BERT sees it: ASCII punctuation or a general category P* (Unicode 8.0 tables).
  static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
    if scalar.isASCII {
      let value = scalar.value
      if (0x21...0x2F).contains(value) || (0x3A...0x40).contains(value)
        || (0x5B...0x60).contains(value) || (0x7B...0x7E).contains(value)
      {
        return true
      }
    }
    switch scalar.properties.generalCategory {
    case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
      .initialPunctuation, .finalPunctuation, .otherPunctuation:
      return assigned(scalar, by: 8, 0)
    default:
      return false
    }
  }

  /// BERT's "control" class: general category Cc, Cf, Co or Cs in the Unicode 8.0 tables
  /// (unassigned code points are in none).
  static func isOther(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .control, .format, .privateUse, .surrogate: assigned(scalar, by: 8, 0)
    default: false
    }
  }

  /// General category Mn, in the Unicode 8.0 tables (BERT's accent stripping).
  static func isNonspacingMark(_ scalar: Unicode.Scalar) -> Bool {
    scalar.properties.generalCategory == .nonspacingMark && assigned(scalar, by: 8, 0)
  }

  /// General category M* (Mn, Mc, Me), in the Unicode 9.0 tables (`StripAccents`).
  static func isMark(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark: assigned(scalar, by: 9, 0)
    default: false
    }
  }

  /// A CJK ideograph, as BERT defines it (the CJK Unified Ideographs blocks and extensions).
  static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
      0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
      true
    default: false
    }
  }

  /// A word character for regular expressions' `\w`: Alphabetic, a mark, a decimal digit,
  /// connector punctuation or a join control.
  static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
    let properties = scalar.properties
    if properties.isAlphabetic || properties.isJoinControl { return true }
    switch properties.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation:
      return true
    default:
      return false
    }
  }

  /// Rust's `char::to_lowercase` (the full, context-free lowercase mapping).
  static func lowercased(_ scalar: Unicode.Scalar) -> [Unicode.Scalar] {
    if scalar.isASCII {
      if (0x41...0x5A).contains(scalar.value) {
        return [Unicode.Scalar(scalar.value + 0x20)!]
      }
      return [scalar]
    }
    return Array(scalar.properties.lowercaseMapping.unicodeScalars)
  }
}

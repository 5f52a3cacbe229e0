/// BERT's normalizer: control characters removed, white space unified, CJK ideographs spaced
/// out, accents stripped and text lowercased, each optionally.
struct BertNormalizer: Sendable {
  var cleanText: Bool
  var handleChineseChars: Bool
  /// `nil` means: strip accents when lowercasing.
  var stripAccents: Bool?
  var lowercase: Bool

  func normalize(_ text: inout NormalizedText) {
    if cleanText {
      text.filter { scalar in
        let value = scalar.value
        if value == 0 || value == 0xFFFD { return false }
        if value == 0x09 || value == 0x0A || value == 0x0D { return true }
        return !UnicodeClasses.isOther(scalar)
      }
      text.transform { scalar in
        let value = scalar.value
        if value == 0x09 || value == 0x0A || value == 0x0D || UnicodeClasses.isWhitespace(scalar) {
          return [" "]
        }
        return [scalar]
      }
    }
    if handleChineseChars {
      text.transform { scalar in
        UnicodeClasses.isChineseCharacter(scalar) ? [" ", scalar, " "] : [scalar]
      }
    }
    if stripAccents ?? lowercase {
      UnicodeNormalization.normalize(&text, form: .nfd)
      text.filter { !UnicodeClasses.isNonspacingMark($0) }
    }
    if lowercase {
      text.transform(UnicodeClasses.lowercased)
    }
  }
}

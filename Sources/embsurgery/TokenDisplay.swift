import StrictJSON

/// How the `audit` and `diff` reports show a token: as it is when that is unambiguous, else as a
/// JSON string literal (spaces, control characters, quotes and the empty token are visible).
enum TokenDisplay {
  static func text(_ token: String?) -> String {
    guard let token else { return "(no token)" }
    let plain =
      !token.isEmpty
      && !token.unicodeScalars.contains { scalar in
        scalar.properties.isWhitespace || scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
          || scalar == "\"" || scalar == "\\" || scalar.properties.generalCategory == .format
      }
    return plain ? token : JSONWriter.quoted(token)
  }
}

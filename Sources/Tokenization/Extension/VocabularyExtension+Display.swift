extension VocabularyExtension {
  /// A token's text for people: a byte-level token's bytes decoded (`Ġthe` → ` the`; bytes that
  /// are not UTF-8 on their own shown as U+FFFD), `▁` as a space; other tokens as they are.
  ///
  /// - Complexity: O(*n*) in the token's length.
  public func displayText(_ token: String) -> String {
    guard !mergesEverySplit else { return token.replacing("\u{2581}", with: " ") }
    var inverse: [Unicode.Scalar: UInt8] = [:]
    for (byte, scalar) in ByteLevelAlphabet.scalars.enumerated() { inverse[scalar] = UInt8(byte) }
    var bytes: [UInt8] = []
    for scalar in token.unicodeScalars {
      guard let byte = inverse[scalar] else { return token }
      bytes.append(byte)
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}

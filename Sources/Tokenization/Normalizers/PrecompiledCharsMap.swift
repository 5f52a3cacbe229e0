import SystemPackage

/// SentencePiece's compiled normalization rules (a tokenizer.json `Precompiled` normalizer): a
/// darts-clone double-array trie over UTF-8 byte strings whose values point into a blob of
/// NUL-terminated replacements.
///
/// Applied as the HF library does: each grapheme cluster shorter than 6 bytes is replaced whole
/// when the trie has a key that is a prefix of it (the shortest such key's replacement); otherwise
/// each of its scalars is replaced when the trie has a key that is a prefix of that scalar.
struct PrecompiledCharsMap: Sendable {
  /// The double array's units.
  private let units: [UInt32]
  /// The replacements, NUL-terminated.
  private let replacements: [UInt8]

  /// Reads the base64 text of `precompiled_charsmap`: a little-endian `UInt32` byte size of the
  /// trie, the trie's units, then the replacements (which must be valid UTF-8).
  init(base64: String, context: String, path: FilePath) throws(TokenizationError) {
    guard let bytes = Base64.decode(base64) else {
      throw .malformed(path: path, what: "\(context).precompiled_charsmap is not valid base64")
    }
    guard bytes.count >= 4 else {
      throw .malformed(path: path, what: "\(context).precompiled_charsmap is too short")
    }
    let trieSize = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
    let unitCount = trieSize / 4
    guard 4 + unitCount * 4 <= bytes.count else {
      throw .malformed(
        path: path, what: "\(context).precompiled_charsmap: the trie is longer than the data")
    }
    var units: [UInt32] = []
    units.reserveCapacity(unitCount)
    for index in 0..<unitCount {
      let offset = 4 + index * 4
      units.append(
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
          | UInt32(bytes[offset + 3]) << 24)
    }
    let replacements = Array(bytes[(4 + unitCount * 4)...])
    guard String(validating: replacements, as: UTF8.self) != nil else {
      throw .malformed(
        path: path, what: "\(context).precompiled_charsmap: the replacements are not UTF-8")
    }
    guard !units.isEmpty else {
      throw .malformed(path: path, what: "\(context).precompiled_charsmap: the trie is empty")
    }
    self.units = units
    self.replacements = replacements
  }

  /// The value of the shortest key of the trie that is a prefix of `key`, if any.
  private func shortestPrefixValue(_ key: [UInt8]) -> Int? {
    func offset(_ unit: UInt32) -> Int { Int((unit >> 10) << ((unit & (1 << 9)) >> 6)) }
    var position = offset(units[0])
    for byte in key {
      if byte == 0 { return nil }
      position ^= Int(byte)
      guard position < units.count else { return nil }
      let unit = units[position]
      if unit & ((1 << 31) | 0xFF) != UInt32(byte) { return nil }
      position ^= offset(unit)
      if (unit >> 8) & 1 == 1 {
        guard position < units.count else { return nil }
        return Int(units[position] & ((1 << 31) - 1))
      }
    }
    return nil
  }

  /// The replacement of a chunk of text, if the trie has one.
  private func transform(_ chunk: [UInt8]) -> [Unicode.Scalar]? {
    guard let start = shortestPrefixValue(chunk), start <= replacements.count else { return nil }
    var end = start
    while end < replacements.count && replacements[end] != 0 { end += 1 }
    guard let text = String(validating: replacements[start..<end], as: UTF8.self) else {
      return nil
    }
    return Array(text.unicodeScalars)
  }

  func normalize(_ text: inout NormalizedText) {
    var scalars: [Unicode.Scalar] = []
    var origins: [Int] = []
    scalars.reserveCapacity(text.count)
    origins.reserveCapacity(text.count)
    var index = 0
    for character in text.string {
      let count = character.unicodeScalars.count
      let range = index..<(index + count)
      index += count
      let bytes = Array(String(character).utf8)
      if bytes.count < 6, let replacement = transform(bytes) {
        scalars.append(contentsOf: replacement)
        origins.append(
          contentsOf: repeatElement(text.origins[range.lowerBound], count: replacement.count))
        continue
      }
      for position in range {
        let scalar = text.scalars[position]
        if let replacement = transform(Array(String(scalar).utf8)) {
          scalars.append(contentsOf: replacement)
          origins.append(
            contentsOf: repeatElement(text.origins[position], count: replacement.count))
        } else {
          scalars.append(scalar)
          origins.append(text.origins[position])
        }
      }
    }
    text = NormalizedText(scalars: scalars, origins: origins)
  }
}

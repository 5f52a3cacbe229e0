extension JSONDocument {
  /// Renames the first member named `key` (compared as UTF-8 bytes) of the object at `path` to
  /// `newKey`, keeping its value, its place and every other byte of the text.
  ///
  /// - Returns: `false` when the value at `path` is not an object or has no member named `key`.
  /// - Complexity: O(*n*) in the length of the text.
  @discardableResult
  public mutating func renameKey(_ key: String, to newKey: String, inObjectAt path: [PathComponent])
    -> Bool
  {
    guard let range = range(of: path), bytes[range.lowerBound] == UInt8(ascii: "{") else {
      return false
    }
    let wanted = Array(key.utf8)
    var scanner = Scanner(bytes: bytes)
    scanner.position = range.lowerBound + 1
    while true {
      scanner.skipWhitespace()
      guard scanner.position < range.upperBound, bytes[scanner.position] == UInt8(ascii: "\"") else {
        return false
      }
      let keyStart = scanner.position
      let name = scanner.readString()
      let keyEnd = scanner.position
      if name == wanted {
        bytes.replaceSubrange(keyStart..<keyEnd, with: Array(JSONWriter.quoted(newKey).utf8))
        return true
      }
      scanner.skipWhitespace()
      scanner.position += 1  // ':'
      scanner.skipValue()
      scanner.skipWhitespace()
      if scanner.position < bytes.count, bytes[scanner.position] == UInt8(ascii: ",") { scanner.position += 1 }
    }
  }
}

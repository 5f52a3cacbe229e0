/// Strict base64 (RFC 4648, standard alphabet, padded), as `precompiled_charsmap` is written.
enum Base64 {
  /// The bytes of `text`, or `nil` when it is not padded base64 (no white space allowed).
  ///
  /// - Complexity: O(*n*).
  static func decode(_ text: String) -> [UInt8]? {
    let input = Array(text.utf8)
    guard input.count % 4 == 0 else { return nil }
    var output: [UInt8] = []
    output.reserveCapacity(input.count / 4 * 3)
    var index = 0
    while index < input.count {
      var group: UInt32 = 0
      var padding = 0
      for offset in 0..<4 {
        let byte = input[index + offset]
        if byte == UInt8(ascii: "=") {
          // Padding only in the last group, only at its end, at most twice.
          guard index + 4 == input.count, offset >= 2 else { return nil }
          padding += 1
          group <<= 6
          continue
        }
        guard padding == 0, let value = sextet(byte) else { return nil }
        group = group << 6 | UInt32(value)
      }
      output.append(UInt8(truncatingIfNeeded: group >> 16))
      if padding < 2 { output.append(UInt8(truncatingIfNeeded: group >> 8)) }
      if padding < 1 { output.append(UInt8(truncatingIfNeeded: group)) }
      index += 4
    }
    return output
  }

  private static func sextet(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
    case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
    case UInt8(ascii: "+"): 62
    case UInt8(ascii: "/"): 63
    default: nil
    }
  }
}

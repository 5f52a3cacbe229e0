/// C's `%.<precision>g` (as glibc's printf writes it) without Foundation, for the human reports.
///
/// The value's exact decimal expansion is rounded to `precision` significant digits, halfway
/// cases to even; the result is in scientific notation (`1.5e-05`, `2e+10`) when the decimal
/// exponent is below -4 or at least `precision`, in fixed notation otherwise, with the trailing
/// zeros of the fraction (and a bare decimal point) removed.
package enum PrintfNumber {
  package static func g(_ value: Double, precision: Int) -> String {
    let sign = value.sign == .minus ? "-" : ""
    if value.isNaN { return sign + "nan" }
    if value.isInfinite { return sign + "inf" }
    let precision = max(precision, 1)
    var (digits, exponent) = decimal(value.magnitude)
    // Round to `precision` digits, half to even.
    if digits.count > precision {
      let kept = digits[precision - 1]
      let first = digits[precision]
      let roundsUp =
        first > 5
        || (first == 5 && (digits[(precision + 1)...].contains { $0 != 0 } || kept % 2 == 1))
      digits.removeSubrange(precision...)
      if roundsUp {
        var index = precision - 1
        while index >= 0 && digits[index] == 9 {
          digits[index] = 0
          index -= 1
        }
        if index >= 0 {
          digits[index] += 1
        } else {
          digits.insert(1, at: 0)
          digits.removeLast()
          exponent += 1
        }
      }
    }
    while digits.count > 1 && digits.last == 0 { digits.removeLast() }
    let text = { (digits: ArraySlice<UInt8>) in
      String(decoding: digits.map { $0 + 48 }, as: UTF8.self)
    }
    if exponent < -4 || exponent >= precision {
      let fraction = digits.count > 1 ? "." + text(digits[1...]) : ""
      let magnitude = exponent.magnitude < 10 ? "0\(exponent.magnitude)" : "\(exponent.magnitude)"
      return "\(sign)\(text(digits[..<1]))\(fraction)e\(exponent < 0 ? "-" : "+")\(magnitude)"
    }
    if exponent < 0 {
      return sign + "0." + String(repeating: "0", count: -exponent - 1) + text(digits[...])
    }
    let whole = digits.count > exponent + 1 ? digits[...exponent] : digits[...]
    let zeros = String(repeating: "0", count: exponent + 1 - whole.count)
    let fraction = digits.count > exponent + 1 ? "." + text(digits[(exponent + 1)...]) : ""
    return sign + text(whole) + zeros + fraction
  }

  /// The exact decimal digits of a finite, non-negative value (no leading zeros; `[0]` for zero)
  /// and the exponent of the first: value = d.ddd… × 10^exponent.
  static func decimal(_ value: Double) -> (digits: [UInt8], exponent: Int) {
    if value == 0 { return ([0], 0) }
    // value = significand × 2^binaryExponent exactly.
    let significand: UInt64
    let binaryExponent: Int
    if value.exponentBitPattern == 0 {
      significand = value.significandBitPattern
      binaryExponent = -1074
    } else {
      significand = value.significandBitPattern | 1 << 52
      binaryExponent = Int(value.exponentBitPattern) - 1075
    }
    // value = integer × 10^-scale: a power of two times the significand, or the significand times
    // 5^-binaryExponent over 10^-binaryExponent.
    var integer = [UInt32(truncatingIfNeeded: significand), UInt32(significand >> 32)]
    var scale = 0
    if binaryExponent >= 0 {
      multiply(&integer, byPowerOf: 2, binaryExponent)
    } else {
      multiply(&integer, byPowerOf: 5, -binaryExponent)
      scale = -binaryExponent
    }
    // Its decimal digits, nine at a time from the lowest.
    var digits: [UInt8] = []
    while integer.contains(where: { $0 != 0 }) {
      var remainder: UInt64 = 0
      for index in integer.indices.reversed() {
        let current = remainder << 32 | UInt64(integer[index])
        integer[index] = UInt32(current / 1_000_000_000)
        remainder = current % 1_000_000_000
      }
      for _ in 0..<9 {
        digits.append(UInt8(remainder % 10))
        remainder /= 10
      }
      while integer.last == 0 { integer.removeLast() }
    }
    while digits.last == 0 { digits.removeLast() }
    digits.reverse()
    return (digits, digits.count - 1 - scale)
  }

  /// Multiplies a little-endian number of 32-bit words by base^power (base 2 or 5).
  private static func multiply(_ number: inout [UInt32], byPowerOf base: UInt64, _ power: Int) {
    // The largest power of the base that fits in 32 bits, then the rest.
    let step = base == 2 ? 31 : 13
    var left = power
    while left > 0 {
      let factor = (0..<min(left, step)).reduce(UInt64(1)) { product, _ in product * base }
      var carry: UInt64 = 0
      for index in number.indices {
        let product = UInt64(number[index]) * factor + carry
        number[index] = UInt32(truncatingIfNeeded: product)
        carry = product >> 32
      }
      if carry != 0 { number.append(UInt32(carry)) }
      left -= step
    }
  }
}

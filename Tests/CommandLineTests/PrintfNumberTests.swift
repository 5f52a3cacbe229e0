import Foundation
import Testing
import embsurgery

/// `PrintfNumber.g` against `String(format: "%.Pg")` (C's printf), which the reports used before.
@Suite struct PrintfNumberTests {
  static func expectPrintf(_ value: Double, precisions: ClosedRange<Int> = 1...17) {
    for precision in precisions {
      let expected = String(format: "%.\(precision)g", value)
      #expect(
        PrintfNumber.g(value, precision: precision) == expected,
        "\(value.bitPattern) with precision \(precision)")
    }
  }

  @Test func chosenValuesAsPrintf() {
    let values: [Double] = [
      0, -0.0, 1, -1, 0.5, 1.5, 2.5, 0.125, 0.25, 0.375, 9.5, 99.5, 999.5, 9999.5, 99999.5,
      999999.5, 9.9995, 9.99995, 0.0001, 0.00001, 0.000099995, 0.00009999949, 1e-5, 1e-4,
      123456, 1_234_567, 999999, 9_999_999, 100000, 1_000_000, 0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3,
      1e15,
      1e16, 1e17, 1e21, 1e22, 1e23, 1e-300, 1e300, .pi, -.pi, 12.345, 0.00012345, 1.2345e-5,
      .greatestFiniteMagnitude, .leastNormalMagnitude, .leastNormalMagnitude.nextDown,
      .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 4.35, 0.045, 1.0e-7,
      Double(Float.greatestFiniteMagnitude), Double(Float.leastNonzeroMagnitude), 0.1 + 0.2,
      65504, 3.0517578125e-05, 1.7976931348623157e308, 72_057_594_037_927_936,
      9_007_199_254_740_991,
      .infinity, -.infinity,
    ]
    for value in values { Self.expectPrintf(value) }
  }

  /// Halfway cases that are exact in binary: ties round to even in glibc's printf.
  @Test func exactTiesAsPrintf() {
    for numerator in 1...4096 {
      let value = Double(numerator) / 1024
      Self.expectPrintf(value, precisions: 1...6)
      Self.expectPrintf(value * 1e6, precisions: 1...6)
    }
  }

  /// Values that print with many nines, and so round up into another power of ten.
  @Test func roundingAcrossPowersOfTenAsPrintf() {
    for exponent in -30...30 {
      let power = Double("1e\(exponent)")!
      for value in [power, power.nextUp, power.nextDown, power * 0.99995, power * 0.9999995] {
        Self.expectPrintf(value)
        Self.expectPrintf(-value)
      }
    }
  }

  @Test func randomValuesAsPrintf() {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<4000 {
      // Any finite bit pattern, and values of the magnitudes the reports print.
      let bits = Double(
        bitPattern: generator.next() & ~(0x7FF << 52) | UInt64.random(in: 0..<0x7FF) << 52)
      let typical =
        Double.random(in: -1...1, using: &generator) * Double("1e\(Int.random(in: -8...8))")!
      for value in [bits, typical] { Self.expectPrintf(value, precisions: 4...6) }
    }
  }

  @Test func reportNumbersUseIt() {
    #expect(AuditSummary.number(0.000123456) == "0.0001235")
    #expect(AuditSummary.number(-0.0) == "0")
    #expect(DiffSummary.number(1_234_567) == "1.23457e+06")
    #expect(DiffSummary.number(.infinity) == "inf")
  }
}

/// The project's own deterministic random number generator: xoshiro256** seeded through
/// SplitMix64, with normal deviates from Marsaglia's polar method.
///
/// Only IEEE-754 basic operations are used (`+ - × ÷ √` and an own logarithm), never the platform's
/// `libm`, so the same seed gives the same bytes on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: (UInt64, UInt64, UInt64, UInt64)
  private var spareNormal: Double?

  /// A generator whose sequence is determined by `seed`.
  public init(seed: UInt64) {
    var splitMix = seed
    func next() -> UInt64 {
      splitMix &+= 0x9E37_79B9_7F4A_7C15
      var z = splitMix
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = (next(), next(), next(), next())
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    let result = rotateLeft(state.1 &* 5, by: 7) &* 9
    let shifted = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= shifted
    state.3 = rotateLeft(state.3, by: 45)
    return result
  }

  /// A uniform deviate in [0, 1) with 53 random bits.
  public mutating func nextUniform() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  /// A standard normal deviate, N(0, 1).
  public mutating func nextNormal() -> Double {
    if let spare = spareNormal {
      spareNormal = nil
      return spare
    }
    while true {
      let u = 2 * nextUniform() - 1
      let v = 2 * nextUniform() - 1
      let s = u * u + v * v
      guard s > 0, s < 1 else { continue }
      let factor = (-2 * SeededGenerator.naturalLogarithm(s) / s).squareRoot()
      spareNormal = v * factor
      return u * factor
    }
  }

  private func rotateLeft(_ value: UInt64, by amount: UInt64) -> UInt64 {
    (value << amount) | (value >> (64 - amount))
  }

  /// ln(x) for a positive, finite `x`, from basic operations only (deterministic everywhere):
  /// x = m·2ᵉ with m in [√½, √2), ln m = 2·atanh((m − 1)/(m + 1)) by its series.
  package static func naturalLogarithm(_ x: Double) -> Double {
    var exponent = Double(x.exponent)
    var mantissa = x.significand  // in [1, 2)
    if mantissa > 1.4142135623730951 {
      mantissa /= 2
      exponent += 1
    }
    let s = (mantissa - 1) / (mantissa + 1)
    let s2 = s * s
    var term = s
    var sum = 0.0
    var denominator = 1.0
    for _ in 0..<14 {
      sum += term / denominator
      term *= s2
      denominator += 2
    }
    return 2 * sum + exponent * 0.6931471805599453
  }
}

/// S of the `mvn` rule: the new rows' noise has covariance S·Σ of the original rows.
public struct NoiseScale: Sendable, Equatable, CustomStringConvertible {
  /// S: finite and not negative.
  public let value: Double

  /// The scale embsurgery uses unless told otherwise, 1e-5 (transformers' `mean_resizing` uses
  /// 1e-9, which BF16 rounding erases entirely).
  public static let standard = NoiseScale(validated: 1e-5)

  /// `value` as a scale, or `nil` when it is negative, infinite or NaN.
  public init?(_ value: Double) {
    guard value >= 0, value.isFinite else { return nil }
    self.value = value
  }

  private init(validated value: Double) { self.value = value }

  public var description: String { "\(value)" }
}

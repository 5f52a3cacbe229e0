extension JSONNumber {
  /// A number from a finite `Double`, written as Swift's shortest round-trip text (`0.5`,
  /// `1e-05`, `3.0`), which is valid JSON; `nil` for NaN and the infinities, which JSON cannot hold.
  public init?(_ value: Double) {
    guard value.isFinite else { return nil }
    self.init(uncheckedLiteral: value == 0 ? "0.0" : value.description)
  }
}

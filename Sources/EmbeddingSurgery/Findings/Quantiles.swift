/// Order statistics as numpy computes them by default (linear interpolation between the two
/// nearest ranks).
public enum Quantiles {
  /// The `q` quantile (0...1) of ascending `sortedValues` (NaN when empty).
  public static func quantile(sortedValues: [Double], _ q: Double) -> Double {
    guard !sortedValues.isEmpty else { return .nan }
    let position = q * Double(sortedValues.count - 1)
    let lower = Int(position.rounded(.down))
    let upper = min(lower + 1, sortedValues.count - 1)
    let fraction = position - Double(lower)
    return sortedValues[lower] + (sortedValues[upper] - sortedValues[lower]) * fraction
  }

  /// The median of `values` (NaN when empty).
  public static func median(_ values: [Double]) -> Double {
    quantile(sortedValues: values.sorted(), 0.5)
  }
}

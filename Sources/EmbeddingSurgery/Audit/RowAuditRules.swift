import Foundation

/// The rules that decide which rows of one matrix look untrained or broken, from per-row
/// statistics. This is the one place that holds `audit`'s thresholds.
public enum RowAuditRules {
  /// Robust z-scores (0.6745 × (log norm − median) / MAD) below this are far below the rest.
  public static let robustZThreshold = -3.5
  /// ... and the norm must also be below this quantile of the norms.
  public static let lowQuantile = 0.01
  /// Cosines with the reserved-row mean at or above this flag a row.
  public static let cosineThreshold = 0.99

  /// The robust statistics of the log norms that the low-norm rule uses.
  public struct LowNormStatistics: Sendable, Equatable {
    /// Median of the log norms of the rows considered (finite, not all zero).
    public var medianLogNorm: Double
    /// Median absolute deviation of those log norms.
    public var madLogNorm: Double
    /// The ``RowAuditRules/lowQuantile`` quantile of those rows' norms.
    public var lowQuantileNorm: Double
  }

  /// The flags of each row, from per-row statistics.
  ///
  /// - Parameters:
  ///   - norms: L2 norms (NaN or infinite where `isNonFinite`).
  ///   - isZero: rows whose every element is zero.
  ///   - isNonFinite: rows holding a NaN or an infinity.
  ///   - cosines: each row's cosine with the reserved-row mean (`nil`: not computed).
  ///   - duplicates: groups of rows with identical bytes.
  /// - Returns: the flags of every row (empty for rows that look fine) and the low-norm statistics
  ///   (`nil` when fewer than three rows are usable or their log norms have no spread).
  /// - Complexity: O(*n* log *n*) in the number of rows.
  public static func flags(
    norms: [Double], isZero: [Bool], isNonFinite: [Bool], cosines: [Double?]?, duplicates: [[Int]]
  ) -> (flags: [Set<RowFlag>], lowNorm: LowNormStatistics?) {
    var flags = [Set<RowFlag>](repeating: [], count: norms.count)
    var usable: [Int] = []
    for id in norms.indices {
      if isZero[id] { flags[id].insert(.zero) }
      if isNonFinite[id] { flags[id].insert(.nonFinite) }
      if !isZero[id], !isNonFinite[id], norms[id] > 0 { usable.append(id) }
      if let cosine = cosines?[id] ?? nil, cosine >= cosineThreshold { flags[id].insert(.nearReservedMean) }
    }
    for group in duplicates { for id in group { flags[id].insert(.duplicate) } }
    var statistics: LowNormStatistics?
    if usable.count >= 3 {
      let logs = usable.map { log(norms[$0]) }
      let median = Quantiles.median(logs)
      let mad = Quantiles.median(logs.map { abs($0 - median) })
      let floor = Quantiles.quantile(sortedValues: usable.map { norms[$0] }.sorted(), lowQuantile)
      if mad > 0 {
        statistics = LowNormStatistics(medianLogNorm: median, madLogNorm: mad, lowQuantileNorm: floor)
        for (index, id) in usable.enumerated() {
          let z = 0.6745 * (logs[index] - median) / mad
          if z < robustZThreshold, norms[id] < floor { flags[id].insert(.lowNorm) }
        }
      }
    }
    return (flags, statistics)
  }
}

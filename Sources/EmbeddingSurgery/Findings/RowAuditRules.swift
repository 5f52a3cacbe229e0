import Glibc

/// The rules that decide which rows of one matrix look untrained or broken, from per-row
/// statistics. This is the one place that holds the thresholds: `audit` reports these flags and
/// `fix-untrained` (through ``UntrainedRows``) re-initializes the rows flagged all zero, NaN or
/// Inf, or low norm.
public enum RowAuditRules {
  /// Robust z-scores (0.6745 × (log norm − median) / MAD) below this are far below the rest.
  public static let robustZThreshold = -3.5
  /// ... and the norm must also be below this quantile of the norms ...
  public static let lowQuantile = 0.01
  /// ... and below this fraction of the median norm. Without it, healthy Gaussian rows (whose
  /// norms cluster within a few percent) would see about 2·10⁻⁴ of their rows flagged.
  public static let medianFraction = 0.5
  /// Cosines with the reserved-row mean at or above this flag a row.
  public static let cosineThreshold = 0.99

  /// The robust statistics of the log norms that the low-norm rule uses.
  public struct LowNormStatistics: Encodable, Sendable, Equatable {
    /// Median of the log norms of the rows considered (finite, not all zero).
    public var medianLogNorm: Double
    /// Median absolute deviation of those log norms.
    public var madLogNorm: Double
    /// The ``RowAuditRules/lowQuantile`` quantile of those rows' norms.
    public var lowQuantileNorm: Double

    enum CodingKeys: String, CodingKey {
      case medianLogNorm = "median_log_norm"
      case madLogNorm = "mad_log_norm"
      case lowQuantileNorm = "low_quantile_norm"
    }
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
  ) -> (flags: [Set<RowFinding>], lowNorm: LowNormStatistics?) {
    var flags = [Set<RowFinding>](repeating: [], count: norms.count)
    var usable: [Int] = []
    for id in norms.indices {
      if isZero[id] { flags[id].insert(.zero) }
      if isNonFinite[id] { flags[id].insert(.nonFinite) }
      if !isZero[id], !isNonFinite[id], norms[id] > 0 { usable.append(id) }
      if let cosine = cosines?[id] ?? nil, cosine >= cosineThreshold { flags[id].insert(.nearReservedMean) }
    }
    for group in duplicates { for id in group { flags[id].insert(.duplicate) } }
    let (low, statistics) = lowNormRows(norms: usable.map { norms[$0] })
    for index in low { flags[usable[index]].insert(.lowNorm) }
    return (flags, statistics)
  }

  /// The low-norm rule on the norms of the usable rows (finite, not all zero, positive): robust
  /// z-score 0.6745 × (log norm − median) / MAD below ``robustZThreshold`` **and** norm below the
  /// ``lowQuantile`` quantile of those norms (numpy's default interpolation) **and** norm below
  /// ``medianFraction`` × the median norm.
  ///
  /// - Returns: the indices into `norms` of the rows flagged, ascending, and the statistics
  ///   (`nil`, and no row flagged, when there are fewer than three norms or the MAD is zero).
  /// - Complexity: O(*n* log *n*).
  package static func lowNormRows(norms: [Double]) -> (rows: [Int], statistics: LowNormStatistics?) {
    guard norms.count >= 3 else { return ([], nil) }
    let logs = norms.map { log($0) }
    let median = Quantiles.median(logs)
    let mad = Quantiles.median(logs.map { abs($0 - median) })
    guard mad > 0 else { return ([], nil) }
    let floor = Quantiles.quantile(sortedValues: norms.sorted(), lowQuantile)
    let rows = norms.indices.filter { index in
      let z = 0.6745 * (logs[index] - median) / mad
      return z < robustZThreshold && norms[index] < floor
        && norms[index] < medianFraction * exp(median)
    }
    return (rows, LowNormStatistics(medianLogNorm: median, madLogNorm: mad, lowQuantileNorm: floor))
  }
}

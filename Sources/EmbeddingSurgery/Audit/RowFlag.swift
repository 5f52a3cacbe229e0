/// Why `audit` flags a row of the embedding or the head.
public enum RowFlag: String, Sendable, CaseIterable, Comparable {
  /// Every element is zero (Llama 3's reserved rows, rows added with `--init zeros`).
  case zero
  /// The row holds a NaN or an infinity.
  case nonFinite = "nonfinite"
  /// The norm is far below the others: robust z-score of the log norm below
  /// ``RowAuditRules/robustZThreshold`` and below the ``RowAuditRules/lowQuantile`` quantile.
  case lowNorm = "low_norm"
  /// The row's bytes equal those of another row (all-zero rows are not counted here).
  case duplicate
  /// The cosine between the row and the mean of the reserved placeholder rows and the rows no
  /// token uses is at least
  /// ``RowAuditRules/cosineThreshold`` (such rows look untrained).
  case nearReservedMean = "near_reserved_mean"

  /// Words for people.
  public var label: String {
    switch self {
    case .zero: "all zero"
    case .nonFinite: "NaN or Inf"
    case .lowNorm: "norm far below the rest"
    case .duplicate: "duplicate of another row"
    case .nearReservedMean: "close to the mean of the reserved and unused rows"
    }
  }

  public static func < (lhs: RowFlag, rhs: RowFlag) -> Bool {
    allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
  }
}

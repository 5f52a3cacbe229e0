/// What is wrong with a row of the embedding or the head: the one spelling of a finding, which
/// `audit` reports and `fix-untrained` acts on (the ``untrained`` ones).
public enum RowFinding: String, Sendable, CaseIterable, Comparable, Encodable {
  /// Every element is zero (Llama 3's reserved rows, rows added with `--init zeros`).
  case zero
  /// The row holds a NaN or an infinity.
  case nonFinite = "nonfinite"
  /// The norm is far below the others (see ``RowAuditRules/lowNormRows(norms:)``).
  case lowNorm = "low_norm"
  /// The row's bytes equal those of another row (all-zero rows are not counted here).
  case duplicate
  /// The cosine between the row and the mean of the reserved placeholder rows and the rows no
  /// token uses is at least ``RowAuditRules/cosineThreshold`` (such rows look untrained).
  case nearReservedMean = "near_reserved_mean"

  /// The findings that make a row untrained: `fix-untrained` re-initializes such rows, and the
  /// statistics of the initializers leave them out.
  public static let untrained: Set<RowFinding> = [.zero, .nonFinite, .lowNorm]

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

  public static func < (lhs: RowFinding, rhs: RowFinding) -> Bool {
    allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
  }
}

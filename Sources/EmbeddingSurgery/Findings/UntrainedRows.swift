import SafeTensors

/// Finds the rows of an embedding or head matrix that look untrained: rows whose every element
/// is zero, rows holding a NaN or an infinity, and rows whose L2 norm is far below the rest.
///
/// The rule is ``RowAuditRules``' (the one `audit` applies): "far below" is a robust z-score on
/// the natural logarithm of the norms of the finite, non-zero rows, z = 0.6745 × (log n − median)
/// / MAD (MAD the median absolute deviation from the median); a row is flagged when z < −3.5
/// **and** its norm is below the 1% quantile of those norms (numpy's default linear
/// interpolation). When the MAD is zero no row is flagged for its norm. The norms come from the
/// same scan as `audit`'s (``RowNorms``), so both flag the same rows of a matrix.
///
/// Used by `fix-untrained` (which rows to re-initialize, and which rows the statistics leave out)
/// and by `resize --reuse-reserved` (the statistics leave untrained rows out).
package struct UntrainedRows {
  /// The flagged rows of `tensor` (a [rows, dimension] matrix of F32, F16, BF16 or F64) with the
  /// reasons for each; rows not flagged are absent.
  ///
  /// - Throws: ``SurgeryError/unsupportedTensor(path:name:reason:)`` for another shape or dtype.
  /// - Complexity: one pass over the matrix (mapped pages are released as it goes), then
  ///   O(*rows* log *rows*) for the medians and the quantile.
  static func find(in tensor: TensorInfo, file: SafeTensorsFile) throws(SurgeryError) -> [Int: Set<RowFinding>] {
    find(in: try MatrixRows(tensor: tensor, file: file))
  }

  /// The flagged rows of `matrix` with the reasons for each; rows not flagged are absent.
  static func find(in matrix: MatrixRows) -> [Int: Set<RowFinding>] {
    let scan = RowNorms(scanning: matrix, selected: { _ in false })
    return classify(norms: scan.norms, isZero: scan.isZero, isNonFinite: scan.isNonFinite)
  }

  /// The flags of per-row facts (see ``RowAuditRules/flags(norms:isZero:isNonFinite:cosines:duplicates:)``).
  package static func classify(norms: [Double], isZero: [Bool], isNonFinite: [Bool]) -> [Int: Set<RowFinding>] {
    let flags = RowAuditRules.flags(
      norms: norms, isZero: isZero, isNonFinite: isNonFinite, cosines: nil, duplicates: []
    ).flags
    var result: [Int: Set<RowFinding>] = [:]
    for (row, set) in flags.enumerated() {
      let reasons = set.intersection(RowFinding.untrained)
      if !reasons.isEmpty { result[row] = reasons }
    }
    return result
  }
}

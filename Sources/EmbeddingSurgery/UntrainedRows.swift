import CBLAS
import SafeTensors

/// Finds the rows of an embedding or head matrix that look untrained: rows whose every element
/// is zero, rows holding a NaN or an infinity, and rows whose L2 norm is far below the rest.
///
/// "Far below" is a robust z-score on the natural logarithm of the norms of the finite, non-zero
/// rows: z = 0.6745 × (log n − median) / MAD (MAD the median absolute deviation from the median);
/// a row is flagged when z < −3.5 **and** its norm is below the 1% quantile of those norms
/// (numpy's default linear interpolation). When the MAD is zero no row is flagged for its norm.
///
/// Used by `fix-untrained` (which rows to re-initialize, and which rows the statistics leave out),
/// by `resize --reuse-reserved` (the statistics leave untrained rows out), and meant for `audit`.
struct UntrainedRows {
  /// Why a row is flagged.
  enum Reason: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Every element is zero (either sign).
    case allZero = "all-zero"
    /// At least one element is NaN or infinite.
    case nonFinite = "non-finite"
    /// The norm is far below the rest (robust z-score on log norms and below the 1% quantile).
    case lowNorm = "low-norm"

    static func < (lhs: Reason, rhs: Reason) -> Bool {
      let order = Reason.allCases
      return (order.firstIndex(of: lhs) ?? 0) < (order.firstIndex(of: rhs) ?? 0)
    }
  }

  /// The robust z-score below which a norm is "far below the rest".
  static let zScoreThreshold = -3.5
  /// The quantile the norm must also be below.
  static let normQuantile = 0.01

  /// Per-row facts from one streaming pass over a matrix.
  struct Scan: Sendable, Equatable {
    /// The L2 norm of each row (computed in `Float` by CBLAS `snrm2`, `dnrm2` for F64);
    /// NaN or infinite for rows that are not finite.
    var norms: [Double]
    /// Rows whose every element is zero.
    var zeroRows: Set<Int>
    /// Rows holding a NaN or an infinity.
    var nonFiniteRows: Set<Int>
  }

  /// The flagged rows of `tensor` (a [rows, dimension] matrix of F32, F16, BF16 or F64) with the
  /// reasons for each; rows not flagged are absent.
  ///
  /// - Throws: ``SurgeryError/unsupportedTensor(path:name:reason:)`` for another shape or dtype.
  /// - Complexity: one pass over the matrix (mapped pages are released as it goes), then
  ///   O(*rows* log *rows*) for the medians and the quantile.
  static func find(in tensor: TensorInfo, file: SafeTensorsFile) throws(SurgeryError) -> [Int: Set<Reason>] {
    classify(try scan(tensor, file: file))
  }

  /// Reads every row once: its norm, whether it is all zero, whether it is finite.
  static func scan(_ tensor: TensorInfo, file: SafeTensorsFile) throws(SurgeryError) -> Scan {
    guard tensor.shape.count == 2, let format = FloatingPointFormat(rawValue: tensor.dtype.rawValue)
    else {
      throw .unsupportedTensor(
        path: file.path, name: tensor.name.string,
        reason: "has shape \(tensor.shape) and dtype \(tensor.dtype.rawValue); a 2-D F32, F16, BF16 or F64 matrix was expected")
    }
    let rows = tensor.shape[0]
    let dimension = tensor.shape[1]
    let rowBytes = dimension * format.byteWidth
    var result = Scan(norms: Array(repeating: 0, count: rows), zeroRows: [], nonFiniteRows: [])
    guard rows > 0, dimension > 0 else {
      result.zeroRows = Set(0..<rows)
      return result
    }
    let range = file.absoluteRange(of: tensor)
    let windowRows = max(1, (64 << 20) / rowBytes)
    var start = 0
    while start < rows {
      let count = min(windowRows, rows - start)
      let window = (range.lowerBound + start * rowBytes)..<(range.lowerBound + (start + count) * rowBytes)
      file.withBytes(in: window) { buffer in
        guard let base = buffer.baseAddress else { return }
        withUnsafeTemporaryAllocation(of: Double.self, capacity: dimension) { scratch in
          guard let values = scratch.baseAddress else { return }
          for offset in 0..<count {
            let row = start + offset
            let source = base + offset * rowBytes
            if format.isAllZero(source, count: dimension) {
              result.zeroRows.insert(row)
              continue
            }
            format.decode(source, count: dimension, into: values)
            var finite = true
            for column in 0..<dimension where !values[column].isFinite {
              finite = false
              break
            }
            if !finite {
              result.nonFiniteRows.insert(row)
              result.norms[row] = .nan
              continue
            }
            result.norms[row] = norm(values, count: dimension, format: format)
          }
        }
      }
      file.releasePages(in: window)
      start += count
    }
    return result
  }

  /// The L2 norm of a finite row: `snrm2` over its `Float` values (`dnrm2` for F64).
  private static func norm(_ values: UnsafeMutablePointer<Double>, count: Int, format: FloatingPointFormat)
    -> Double
  {
    if format == .float64 { return cblas_dnrm2(Int32(count), values, 1) }
    return withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { floats in
      guard let base = floats.baseAddress else { return 0 }
      for index in 0..<count { base[index] = Float(values[index]) }
      return Double(cblas_snrm2(Int32(count), base, 1))
    }
  }

  /// The flags of a scan.
  static func classify(_ scan: Scan) -> [Int: Set<Reason>] {
    var flags: [Int: Set<Reason>] = [:]
    for row in scan.zeroRows { flags[row, default: []].insert(.allZero) }
    for row in scan.nonFiniteRows { flags[row, default: []].insert(.nonFinite) }
    let candidates = scan.norms.indices.filter {
      !scan.zeroRows.contains($0) && !scan.nonFiniteRows.contains($0) && scan.norms[$0] > 0
    }
    for row in lowNormRows(norms: candidates.map { scan.norms[$0] }).map({ candidates[$0] }) {
      flags[row, default: []].insert(.lowNorm)
    }
    return flags
  }

  /// The indices (into `norms`, all positive and finite) of the norms far below the rest.
  static func lowNormRows(norms: [Double]) -> [Int] {
    guard norms.count >= 3 else { return [] }
    let logs = norms.map { SeededGenerator.naturalLogarithm($0) }
    let center = median(logs)
    let deviation = median(logs.map { abs($0 - center) })
    guard deviation > 0 else { return [] }
    let limit = quantile(norms, normQuantile)
    return norms.indices.filter { index in
      let z = 0.6745 * (logs[index] - center) / deviation
      return z < zScoreThreshold && norms[index] < limit
    }
  }

  /// The median (the mean of the two middle values for an even count).
  static func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  }

  /// The `q` quantile with linear interpolation between order statistics (numpy's default).
  static func quantile(_ values: [Double], _ q: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let position = q * Double(sorted.count - 1)
    let lower = Int(position.rounded(.down))
    let upper = min(lower + 1, sorted.count - 1)
    let fraction = position - Double(lower)
    return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The rows in which two matrices of the same width differ, found in one streaming pass over
/// both (windows of each file are mapped, compared and released together).
///
/// Rows whose bytes are equal are skipped at memory speed; others are decoded to `Double` (exact
/// for every format) and their largest absolute element difference is kept. Equal values in
/// different encodings (`-0` and `0`, or the same value in two dtypes) are not a difference; a NaN
/// or an infinity against anything else is an infinite difference.
struct RowDifferences: Sendable {
  /// The differing rows and their largest absolute difference, ascending by id.
  var rows: [CheckpointDiff.DifferingRow] = []

  /// Compares rows `0..<count` of `a` and `b`.
  ///
  /// - Precondition: both have `count` rows or more and the same dimension.
  /// - Complexity: O(*count* × *dimension*); memory O(differing rows) plus two windows.
  init(_ a: MatrixRows, _ b: MatrixRows, count: Int) {
    let dimension = a.dimension
    let sameFormat = a.format == b.format
    var found: [CheckpointDiff.DifferingRow] = []
    withUnsafeTemporaryAllocation(of: Double.self, capacity: max(1, 2 * dimension)) { scratch in
      let left = UnsafeMutableBufferPointer(rebasing: scratch[..<dimension])
      let right = UnsafeMutableBufferPointer(rebasing: scratch[dimension..<(2 * dimension)])
      a.forEachWindow(rows: 0..<count) { aWindow in
        b.withWindow(rows: aWindow.rowIDs) { bWindow in
          for id in aWindow.rowIDs {
            let aBytes = aWindow.row(id)
            let bBytes = bWindow.row(id)
            guard let aRow = aBytes.baseAddress, let bRow = bBytes.baseAddress else { continue }
            if sameFormat, memcmp(aRow, bRow, aBytes.count) == 0 { continue }
            a.format.decode(aBytes, into: left)
            b.format.decode(bBytes, into: right)
            var largest = 0.0
            for column in 0..<dimension {
              let x = left[column]
              let y = right[column]
              if x == y || (x.isNaN && y.isNaN) { continue }
              let difference = abs(x - y)
              largest = max(largest, difference.isNaN ? .infinity : difference)
            }
            if largest > 0 { found.append(CheckpointDiff.DifferingRow(id: id, maxAbsDifference: largest)) }
          }
        }
        b.file.releasePages(in: b.byteRange(first: aWindow.firstRow, count: aWindow.rowCount))
      }
    }
    rows = found
  }
}

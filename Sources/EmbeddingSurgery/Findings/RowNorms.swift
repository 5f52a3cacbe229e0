import CBLAS

/// What one streaming pass over a matrix learns about each row: its L2 norm, whether it is all
/// zero or holds a NaN or an infinity, and a hash of its bytes (for duplicates); plus the sum of
/// a chosen set of rows (the reserved placeholders), for the cosine pass.
///
/// Rows are decoded block by block to `Double` (exact for every format) and reduced with CBLAS
/// (`dnrm2` per row, `dgemv` for the cosines); the file is read in windows whose pages are
/// released (see ``MatrixRows``), so memory holds only O(rows) scalars and one block.
package struct RowNorms: Sendable {
  /// The L2 norm of each row (NaN or infinite for rows that hold NaN or Inf).
  package var norms: [Double]
  /// Whether each row is all zero (either sign).
  var isZero: [Bool]
  /// Whether each row holds a NaN or an infinity.
  var isNonFinite: [Bool]
  /// A 64-bit hash of each row's bytes.
  var hashes: [UInt64]
  /// The sum of the selected rows that are neither all zero nor non-finite.
  var selectedSum: [Double]
  /// How many rows ``selectedSum`` adds.
  var selectedCount: Int

  /// Rows decoded per block: about 8 MiB of `Double`s.
  package static func blockRows(dimension: Int) -> Int { max(1, (1 << 20) / max(dimension, 1)) }

  /// Scans every row of `matrix`; `selected(id)` says which rows are summed.
  ///
  /// - Complexity: O(*rows* × *dimension*), one pass over the data.
  package init(scanning matrix: MatrixRows, selected: (Int) -> Bool) {
    let rows = matrix.rows
    let dimension = matrix.dimension
    let format = matrix.format
    var norms = [Double](repeating: 0, count: rows)
    var isZero = [Bool](repeating: false, count: rows)
    var isNonFinite = [Bool](repeating: false, count: rows)
    var hashes = [UInt64](repeating: 0, count: rows)
    var sum = [Double](repeating: 0, count: dimension)
    var selectedCount = 0
    withUnsafeTemporaryAllocation(of: Double.self, capacity: max(1, dimension)) { scratch in
      let row = UnsafeMutableBufferPointer(rebasing: scratch[..<dimension])
      matrix.forEachWindow { window in
        for id in window.rowIDs {
          let bytes = window.row(id)
          hashes[id] = RowNorms.hash(bytes)
          isZero[id] = format.isAllZero(bytes)
          format.decode(bytes, into: row)
          let finite = row.allSatisfy(\.isFinite)
          isNonFinite[id] = !finite
          norms[id] = finite ? cblas_dnrm2(Int32(dimension), row.baseAddress, 1) : .nan
          if finite, !isZero[id], selected(id) {
            for column in 0..<dimension { sum[column] += row[column] }
            selectedCount += 1
          }
        }
      }
    }
    self.norms = norms
    self.isZero = isZero
    self.isNonFinite = isNonFinite
    self.hashes = hashes
    selectedSum = sum
    self.selectedCount = selectedCount
  }

  /// The mean of the selected rows, or `nil` when fewer than two rows were selected or the mean
  /// is the zero vector.
  var selectedMean: [Double]? {
    guard selectedCount >= 2 else { return nil }
    let mean = selectedSum.map { $0 / Double(selectedCount) }
    guard mean.contains(where: { $0 != 0 }) else { return nil }
    return mean
  }

  /// The cosine between each row and `direction` (`nil` for all-zero and non-finite rows), in a
  /// second streaming pass: `dgemv` of each decoded block with `direction`.
  ///
  /// - Complexity: O(*rows* × *dimension*).
  func cosines(of matrix: MatrixRows, with direction: [Double]) -> [Double?] {
    let rows = matrix.rows
    let dimension = matrix.dimension
    let format = matrix.format
    var result = [Double?](repeating: nil, count: rows)
    let directionNorm = direction.withUnsafeBufferPointer { cblas_dnrm2(Int32(dimension), $0.baseAddress, 1) }
    guard directionNorm > 0, directionNorm.isFinite else { return result }
    let blockRows = RowNorms.blockRows(dimension: dimension)
    withUnsafeTemporaryAllocation(of: Double.self, capacity: max(1, blockRows * (dimension + 1))) { scratch in
      let values = scratch.baseAddress
      let dots = scratch.baseAddress.map { $0 + blockRows * dimension }
      matrix.forEachWindow { window in
        window.forEachBlock(of: blockRows) { block in
          for (local, id) in block.rowIDs.enumerated() {
            let start = local * dimension
            format.decode(
              block.row(id), into: UnsafeMutableBufferPointer(rebasing: scratch[start..<(start + dimension)]))
          }
          direction.withUnsafeBufferPointer { vector in
            // dots = block · direction, for a row-major [rows, dimension] block.
            cblas_dgemv(
              CblasRowMajor, CblasNoTrans, Int32(block.rowCount), Int32(dimension), 1, values,
              Int32(dimension), vector.baseAddress, 1, 0, dots, 1)
          }
          for (local, id) in block.rowIDs.enumerated() {
            let norm = norms[id]
            guard !isZero[id], !isNonFinite[id], norm > 0 else { continue }
            result[id] = scratch[blockRows * dimension + local] / (norm * directionNorm)
          }
        }
      }
    }
    return result
  }

  /// Groups of rows whose bytes are identical (at least two rows each, all-zero rows left out):
  /// rows are grouped by ``hashes`` and each group is confirmed by comparing bytes.
  ///
  /// - Complexity: O(*rows*) plus the comparisons of rows whose hashes collide.
  func duplicateGroups(in matrix: MatrixRows) -> [[Int]] {
    var byHash: [UInt64: [Int]] = [:]
    for id in 0..<hashes.count where !isZero[id] {
      byHash[hashes[id], default: []].append(id)
    }
    var groups: [[Int]] = []
    for candidates in byHash.values where candidates.count > 1 {
      // Split the candidates into classes of equal bytes.
      var classes: [[Int]] = []
      for id in candidates {
        if let index = classes.firstIndex(where: { matrix.rowsEqual($0[0], id) }) {
          classes[index].append(id)
        } else {
          classes.append([id])
        }
      }
      groups += classes.filter { $0.count > 1 }
    }
    return groups.map { $0.sorted() }.sorted { $0[0] < $1[0] }
  }

  /// A 64-bit hash of `bytes` (words mixed with a multiply-rotate; deterministic).
  static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    let count = bytes.count
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count)
    var offset = 0
    while offset + 8 <= count {
      let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
      state = (state ^ word) &* 0xFF51_AFD7_ED55_8CCD
      state = (state << 29) | (state >> 35)
      offset += 8
    }
    while offset < count {
      state = (state ^ UInt64(bytes[offset])) &* 0xC4CE_B9FE_1A85_EC53
      offset += 1
    }
    state ^= state >> 33
    state = state &* 0xFF51_AFD7_ED55_8CCD
    return state ^ (state >> 33)
  }
}

extension MatrixRows {
  /// Whether rows `first` and `second` have identical bytes.
  func rowsEqual(_ first: Int, _ second: Int) -> Bool {
    withRow(first) { a in withRow(second) { b in a.elementsEqual(b) } }
  }
}

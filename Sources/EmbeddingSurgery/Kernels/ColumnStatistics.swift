import CBLAS

/// Per-column sums (and optionally sums of squares) of the rows of a matrix, leaving out rows
/// whose every element is zero: the statistics behind the `mean` and `random` initializers.
///
/// BF16, F16 and F32 rows are converted 16 elements at a time and added to `Float` column
/// accumulators in one pass (``ColumnSumKernel``); F64 rows are reduced with CBLAS (`dgemv`
/// against a vector of ones). Each block's result (about 4 MiB of `Float`s) is added to `Double`
/// accumulators, so the error does not grow with the number of rows.
public struct ColumnStatistics: Sendable, Equatable {
  /// The number of columns.
  public let dimension: Int
  /// Column sums over the rows counted.
  public private(set) var sums: [Double]
  /// Column sums of squares over the rows counted, when requested.
  public private(set) var sumsOfSquares: [Double]?
  /// Rows counted (not all zero).
  public private(set) var countedRows = 0
  /// Rows left out because every element is zero.
  public private(set) var zeroRows = 0

  /// Empty statistics for rows of `dimension` elements.
  public init(dimension: Int, includingSquares: Bool) {
    self.dimension = dimension
    sums = Array(repeating: 0, count: dimension)
    sumsOfSquares = includingSquares ? Array(repeating: 0, count: dimension) : nil
  }

  /// The column means (all zero when no row was counted).
  public var mean: [Double] {
    guard countedRows > 0 else { return sums.map { _ in 0 } }
    return sums.map { $0 / Double(countedRows) }
  }

  /// The column standard deviations (population, as numpy's default), when squares were summed.
  public var standardDeviation: [Double]? {
    guard let sumsOfSquares else { return nil }
    guard countedRows > 0 else { return sumsOfSquares.map { _ in 0 } }
    let count = Double(countedRows)
    return zip(sums, sumsOfSquares).map { sum, squares in
      let mean = sum / count
      return (max(squares / count - mean * mean, 0)).squareRoot()
    }
  }

  /// Adds the sums and counts of `other` (statistics of other rows of the same width).
  public mutating func add(_ other: ColumnStatistics) {
    precondition(other.dimension == dimension, "statistics of \(other.dimension) columns, \(dimension) expected")
    for column in 0..<dimension { sums[column] += other.sums[column] }
    if let squares = other.sumsOfSquares {
      for column in 0..<dimension { sumsOfSquares?[column] += squares[column] }
    }
    countedRows += other.countedRows
    zeroRows += other.zeroRows
  }

  /// Rows reduced per block before the `Float` sums go into the `Double` ones: about 4 MiB of `Float`s.
  package static func blockRows(dimension: Int) -> Int { max(1, (1 << 20) / max(dimension, 1)) }

  /// Adds the rows held in `bytes`: whole rows of ``dimension`` elements of `format`, one after
  /// the other.
  ///
  /// - Precondition: `bytes` holds whole rows.
  /// - Complexity: O(*rows* × *dimension*), in blocks of about 4 MiB.
  public mutating func accumulate(rows bytes: UnsafeRawBufferPointer, format: FloatingPointFormat) {
    let rowBytes = dimension * format.byteWidth
    let rowCount = rowBytes == 0 ? 0 : bytes.count / rowBytes
    precondition(bytes.count == rowCount * rowBytes, "\(bytes.count) bytes are not rows of \(rowBytes)")
    accumulate(RowWindow(bytes, rowCount: rowCount, dimension: dimension, format: format))
  }

  /// Adds the rows of `window` (whose dimension must be this one's).
  ///
  /// - Complexity: O(*rows* × *dimension*), in blocks of about 4 MiB.
  package mutating func accumulate(_ window: RowWindow) {
    window.forEachStatisticsBlock(dimension: dimension) { accumulateBlock($0) }
  }

  private mutating func accumulateBlock(_ window: RowWindow) {
    let dimension = self.dimension
    let format = window.format
    let rowCount = window.rowCount
    // Compact the rows that are not all zero into the block.
    var kept = 0
    if format == .float64 {
      withUnsafeTemporaryAllocation(of: Double.self, capacity: rowCount * dimension) { block in
        for id in window.rowIDs {
          let bytes = window.row(id)
          if format.isAllZero(bytes) { continue }
          let start = kept * dimension
          format.decode(bytes, into: UnsafeMutableBufferPointer(rebasing: block[start..<(start + dimension)]))
          kept += 1
        }
        addColumnSums(of: UnsafeMutableBufferPointer(rebasing: block[..<(kept * dimension)]))
      }
    } else {
      // One fused pass: convert and add to Float accumulators while the row is in the cache.
      let squared = sumsOfSquares != nil
      withUnsafeTemporaryAllocation(of: Float.self, capacity: (squared ? 2 : 1) * dimension) { scratch in
        scratch.initialize(repeating: 0)
        let sums = UnsafeMutableBufferPointer(rebasing: scratch[..<dimension])
        let squares = squared ? UnsafeMutableBufferPointer(rebasing: scratch[dimension...]) : nil
        kept = ColumnSumKernel.accumulate(window, sums: sums, squares: squares)
        for column in 0..<dimension { self.sums[column] += Double(sums[column]) }
        if let squares {
          for column in 0..<dimension { sumsOfSquares?[column] += Double(squares[column]) }
        }
      }
    }
    countedRows += kept
    zeroRows += rowCount - kept
  }

  /// Adds the column sums (and sums of squares) of `block`, whole rows of ``dimension`` values.
  private mutating func addColumnSums(of block: UnsafeMutableBufferPointer<Double>) {
    let dimension = self.dimension
    internalCheck(block.count % dimension == 0, "\(block.count) values are not rows of \(dimension)")
    let rowCount = block.count / dimension
    guard rowCount > 0, let block = block.baseAddress else { return }
    withUnsafeTemporaryAllocation(of: Double.self, capacity: rowCount + dimension) { scratch in
      guard let ones = scratch.baseAddress else { return }
      let result = ones + rowCount
      for index in 0..<rowCount { ones[index] = 1 }
      cblas_dgemv(
        CblasRowMajor, CblasTrans, Int32(rowCount), Int32(dimension), 1, block, Int32(dimension),
        ones, 1, 0, result, 1)
      for column in 0..<dimension { sums[column] += result[column] }
      guard sumsOfSquares != nil else { return }
      for index in 0..<(rowCount * dimension) { block[index] *= block[index] }
      cblas_dgemv(
        CblasRowMajor, CblasTrans, Int32(rowCount), Int32(dimension), 1, block, Int32(dimension),
        ones, 1, 0, result, 1)
      for column in 0..<dimension { sumsOfSquares?[column] += result[column] }
    }
  }
}

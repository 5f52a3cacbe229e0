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

  /// Rows reduced per block before the `Float` sums go into the `Double` ones: about 4 MiB of `Float`s.
  static func blockRows(dimension: Int) -> Int { max(1, (1 << 20) / max(dimension, 1)) }

  /// Adds `rowCount` rows of `format` elements stored contiguously at `rows`.
  ///
  /// - Complexity: O(*rowCount* × *dimension*), in blocks of about 4 MiB.
  public mutating func accumulate(
    rows: UnsafeRawPointer, rowCount: Int, format: FloatingPointFormat
  ) {
    guard dimension > 0 else { return }
    ColumnStatistics.forEachBlock(rows: rows, rowCount: rowCount, dimension: dimension, format: format) {
      accumulateBlock(rows: $0, rowCount: $1, format: format)
    }
  }

  /// Calls `body` with consecutive blocks of the `rowCount` rows at `rows`, each at most
  /// ``blockRows(dimension:)`` rows: the blocking shared by the statistics and the covariance.
  static func forEachBlock(
    rows: UnsafeRawPointer, rowCount: Int, dimension: Int, format: FloatingPointFormat,
    _ body: (UnsafeRawPointer, Int) -> Void
  ) {
    let rowBytes = dimension * format.byteWidth
    let blockRows = ColumnStatistics.blockRows(dimension: dimension)
    var start = 0
    while start < rowCount {
      let count = min(blockRows, rowCount - start)
      body(rows + start * rowBytes, count)
      start += count
    }
  }

  private mutating func accumulateBlock(
    rows: UnsafeRawPointer, rowCount: Int, format: FloatingPointFormat
  ) {
    let dimension = self.dimension
    let rowBytes = dimension * format.byteWidth
    // Compact the rows that are not all zero into the block.
    var kept = 0
    if format == .float64 {
      withUnsafeTemporaryAllocation(of: Double.self, capacity: rowCount * dimension) { block in
        guard let base = block.baseAddress else { return }
        for row in 0..<rowCount {
          let source = rows + row * rowBytes
          if format.isAllZero(source, count: dimension) { continue }
          format.decode(source, count: dimension, into: base + kept * dimension)
          kept += 1
        }
        addColumnSums(of: base, rowCount: kept)
      }
    } else {
      // One fused pass: convert and add to Float accumulators while the row is in the cache.
      let squared = sumsOfSquares != nil
      withUnsafeTemporaryAllocation(of: Float.self, capacity: (squared ? 2 : 1) * dimension) { scratch in
        guard let sums = scratch.baseAddress else { return }
        sums.initialize(repeating: 0, count: scratch.count)
        let squares = squared ? sums + dimension : nil
        kept = ColumnSumKernel.accumulate(
          rows: rows, rowCount: rowCount, dimension: dimension, format: format, sums: sums,
          squares: squares)
        for column in 0..<dimension { self.sums[column] += Double(sums[column]) }
        if let squares {
          for column in 0..<dimension { sumsOfSquares?[column] += Double(squares[column]) }
        }
      }
    }
    countedRows += kept
    zeroRows += rowCount - kept
  }

  private mutating func addColumnSums(of block: UnsafeMutablePointer<Double>, rowCount: Int) {
    guard rowCount > 0 else { return }
    let dimension = self.dimension
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

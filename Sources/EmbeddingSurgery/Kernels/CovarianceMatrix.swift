import CBLAS

/// The covariance matrix Σ = (1/n) Σᵢ (xᵢ − μ)(xᵢ − μ)ᵀ of rows given block by block (the
/// population covariance, as transformers' `mean_resizing` computes it), with a known mean μ.
///
/// Each block is centered in `Float` and reduced with CBLAS `ssyrk` (`dsyrk` for F64) into the
/// upper triangle; each block's result is added to `Double` accumulators.
package struct CovarianceMatrix {
  /// The number of columns.
  let dimension: Int
  /// The mean subtracted from every row.
  let mean: [Double]
  /// The upper triangle of Σᵢ (xᵢ − μ)(xᵢ − μ)ᵀ, row-major [dimension, dimension].
  private(set) var sums: [Double]
  /// Rows added.
  private(set) var countedRows = 0

  package init(mean: [Double]) {
    dimension = mean.count
    self.mean = mean
    sums = Array(repeating: 0, count: mean.count * mean.count)
  }

  /// Adds the rows of `window` (whose dimension must be this one's).
  ///
  /// - Complexity: O(*rows* × *dimension*²), in blocks of about 4 MiB.
  package mutating func accumulate(_ window: RowWindow) {
    window.forEachStatisticsBlock(dimension: dimension) { accumulateBlock($0) }
  }

  /// Adds a block: F64 rows in `Double` (`dsyrk`), the others in `Float` (`ssyrk`).
  private mutating func accumulateBlock(_ window: RowWindow) {
    let n = Int32(dimension)
    let k = Int32(window.rowCount)
    let format = window.format
    if format == .float64 {
      reduce(
        window, centeredOn: mean, decode: { format.decode($0, into: $1) },
        product: { cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, k, 1, $0, n, 0, $1, n) })
    } else {
      reduce(
        window, centeredOn: mean.map { Float($0) }, decode: { format.decode($0, into: $1) },
        product: { cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, n, k, 1, $0, n, 0, $1, n) })
    }
    countedRows += window.rowCount
  }

  /// Decodes the rows of `window` into a block, subtracts `mean` from each, and adds the upper
  /// triangle of the block's product with itself (`product(block, result)`) to ``sums``.
  private mutating func reduce<Scalar: BinaryFloatingPoint>(
    _ window: RowWindow, centeredOn mean: [Scalar],
    decode: (UnsafeRawBufferPointer, UnsafeMutableBufferPointer<Scalar>) -> Void,
    product: (UnsafeMutablePointer<Scalar>, UnsafeMutablePointer<Scalar>) -> Void
  ) {
    let dimension = self.dimension
    let rowCount = window.rowCount
    withUnsafeTemporaryAllocation(of: Scalar.self, capacity: rowCount * dimension + dimension * dimension) { scratch in
      guard let block = scratch.baseAddress else { return }
      for (index, id) in window.rowIDs.enumerated() {
        let row = UnsafeMutableBufferPointer(rebasing: scratch[(index * dimension)..<((index + 1) * dimension)])
        decode(window.row(id), row)
        for column in 0..<dimension { row[column] -= mean[column] }
      }
      let result = block + rowCount * dimension
      product(block, result)
      for i in 0..<dimension {
        for j in i..<dimension { sums[i * dimension + j] += Double(result[i * dimension + j]) }
      }
    }
  }

  /// The full symmetric covariance, row-major [dimension, dimension] (zeros when no row was added).
  package var covariance: [Double] {
    var result = Array(repeating: 0.0, count: dimension * dimension)
    guard countedRows > 0 else { return result }
    let count = Double(countedRows)
    for i in 0..<dimension {
      for j in i..<dimension {
        let value = sums[i * dimension + j] / count
        result[i * dimension + j] = value
        result[j * dimension + i] = value
      }
    }
    return result
  }
}

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
    precondition(window.dimension == dimension, "rows of \(window.dimension) elements, \(dimension) expected")
    guard dimension > 0 else { return }
    window.forEachBlock(of: ColumnStatistics.blockRows(dimension: dimension)) { accumulateBlock($0) }
  }

  private mutating func accumulateBlock(_ window: RowWindow) {
    let dimension = self.dimension
    let format = window.format
    let rowCount = window.rowCount
    let n = Int32(dimension)
    let k = Int32(rowCount)
    if format == .float64 {
      withUnsafeTemporaryAllocation(of: Double.self, capacity: rowCount * dimension + dimension * dimension) {
        scratch in
        guard let block = scratch.baseAddress else { return }
        let product = block + rowCount * dimension
        for (index, id) in window.rowIDs.enumerated() {
          let target = UnsafeMutableBufferPointer(rebasing: scratch[(index * dimension)..<((index + 1) * dimension)])
          format.decode(window.row(id), into: target)
          for column in 0..<dimension { target[column] -= mean[column] }
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, k, 1, block, n, 0, product, n)
        for i in 0..<dimension {
          for j in i..<dimension { sums[i * dimension + j] += product[i * dimension + j] }
        }
      }
    } else {
      withUnsafeTemporaryAllocation(of: Float.self, capacity: rowCount * dimension + dimension * dimension) {
        scratch in
        guard let block = scratch.baseAddress else { return }
        let product = block + rowCount * dimension
        let floatMean = mean.map { Float($0) }
        for (index, id) in window.rowIDs.enumerated() {
          let target = UnsafeMutableBufferPointer(rebasing: scratch[(index * dimension)..<((index + 1) * dimension)])
          format.decode(window.row(id), into: target)
          for column in 0..<dimension { target[column] -= floatMean[column] }
        }
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, n, k, 1, block, n, 0, product, n)
        for i in 0..<dimension {
          for j in i..<dimension { sums[i * dimension + j] += Double(product[i * dimension + j]) }
        }
      }
    }
    countedRows += rowCount
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

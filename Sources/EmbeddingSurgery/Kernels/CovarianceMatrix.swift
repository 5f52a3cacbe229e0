import CBLAS

/// The covariance matrix Σ = (1/n) Σᵢ (xᵢ − μ)(xᵢ − μ)ᵀ of rows given block by block (the
/// population covariance, as transformers' `mean_resizing` computes it), with a known mean μ.
///
/// Each block is centered in `Float` and reduced with CBLAS `ssyrk` (`dsyrk` for F64) into the
/// upper triangle; each block's result is added to `Double` accumulators.
struct CovarianceMatrix {
  /// The number of columns.
  let dimension: Int
  /// The mean subtracted from every row.
  let mean: [Double]
  /// The upper triangle of Σᵢ (xᵢ − μ)(xᵢ − μ)ᵀ, row-major [dimension, dimension].
  private(set) var sums: [Double]
  /// Rows added.
  private(set) var countedRows = 0

  init(mean: [Double]) {
    dimension = mean.count
    self.mean = mean
    sums = Array(repeating: 0, count: mean.count * mean.count)
  }

  /// Adds `rowCount` rows of `format` elements stored contiguously at `rows`.
  ///
  /// - Complexity: O(*rowCount* × *dimension*²), in blocks of about 4 MiB.
  mutating func accumulate(rows: UnsafeRawPointer, rowCount: Int, format: FloatingPointFormat) {
    guard dimension > 0 else { return }
    ColumnStatistics.forEachBlock(rows: rows, rowCount: rowCount, dimension: dimension, format: format) {
      accumulateBlock(rows: $0, rowCount: $1, format: format)
    }
  }

  private mutating func accumulateBlock(rows: UnsafeRawPointer, rowCount: Int, format: FloatingPointFormat) {
    let dimension = self.dimension
    let rowBytes = dimension * format.byteWidth
    let n = Int32(dimension)
    let k = Int32(rowCount)
    if format == .float64 {
      withUnsafeTemporaryAllocation(of: Double.self, capacity: rowCount * dimension + dimension * dimension) {
        scratch in
        guard let block = scratch.baseAddress else { return }
        let product = block + rowCount * dimension
        for row in 0..<rowCount {
          let target = block + row * dimension
          format.decode(rows + row * rowBytes, count: dimension, into: target)
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
        for row in 0..<rowCount {
          let target = block + row * dimension
          format.decode(rows + row * rowBytes, count: dimension, into: target)
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
  var covariance: [Double] {
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

/// The lower-triangular Cholesky factor L of a symmetric positive-definite matrix A = L·Lᵀ,
/// computed in `Double` (Cholesky–Banachiewicz, row by row).
package struct CholeskyFactor {
  /// The order of the matrix.
  let dimension: Int
  /// L, row-major [dimension, dimension]; the upper triangle is zero.
  package let lower: [Double]

  /// Factors the row-major symmetric matrix `matrix` of order `dimension`, or returns `nil` when it
  /// is not positive definite (a pivot is not positive, or not greater than `relativeTolerance`
  /// times the largest diagonal entry).
  ///
  /// - Complexity: O(*dimension*³ / 3).
  package init?(_ matrix: [Double], dimension: Int, relativeTolerance: Double = 1e-12) {
    guard matrix.count == dimension * dimension else { return nil }
    var largest = 0.0
    for i in 0..<dimension { largest = max(largest, matrix[i * dimension + i]) }
    guard largest > 0 else { return nil }
    let floor = largest * relativeTolerance
    var lower = Array(repeating: 0.0, count: dimension * dimension)
    for i in 0..<dimension {
      for j in 0...i {
        var sum = matrix[i * dimension + j]
        for k in 0..<j { sum -= lower[i * dimension + k] * lower[j * dimension + k] }
        if i == j {
          guard sum > floor, sum.isFinite else { return nil }
          lower[i * dimension + i] = sum.squareRoot()
        } else {
          lower[i * dimension + j] = sum / lower[j * dimension + j]
        }
      }
    }
    self.dimension = dimension
    self.lower = lower
  }

  /// L·z for a vector z of `dimension` entries.
  package func multiply(_ vector: [Double]) -> [Double] {
    var result = Array(repeating: 0.0, count: dimension)
    for i in 0..<dimension {
      var sum = 0.0
      for k in 0...i { sum += lower[i * dimension + k] * vector[k] }
      result[i] = sum
    }
    return result
  }
}

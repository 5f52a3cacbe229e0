import EmbeddingSurgery
import Testing

@Suite struct ColumnStatisticsTests {
  /// Rows with a fixed pseudo-random pattern, some all zero.
  func matrix(rows: Int, dimension: Int) -> [[Double]] {
    var generator = SeededGenerator(seed: 7)
    return (0..<rows).map { row in
      row % 5 == 3
        ? Array(repeating: 0, count: dimension) : (0..<dimension).map { _ in generator.nextNormal() * 0.02 + 0.001 }
    }
  }

  @Test(arguments: [FloatingPointFormat.float32, .bfloat16, .float64, .float16])
  func matchesADoubleReferenceLeavingOutZeroRows(_ format: FloatingPointFormat) {
    let dimension = 37
    // More rows than one BLAS block holds, so blocks are combined.
    let rows = ColumnStatistics.blockRows(dimension: dimension) + 101
    let values = matrix(rows: rows, dimension: dimension)
    let bytes = values.flatMap { format.encode($0) }
    // What the matrix holds after rounding to the format, in Double.
    let stored: [[Double]] = values.map { row in
      let encoded = format.encode(row)
      var decoded = [Double](repeating: 0, count: dimension)
      encoded.withUnsafeBytes { buffer in
        decoded.withUnsafeMutableBufferPointer { format.decode(buffer, into: $0) }
      }
      return decoded
    }
    let kept = stored.filter { $0.contains { $0 != 0 } }
    var statistics = ColumnStatistics(dimension: dimension, includingSquares: true)
    bytes.withUnsafeBytes { statistics.accumulate(RowWindow($0, rowCount: rows, dimension: dimension, format: format)) }
    #expect(statistics.countedRows == kept.count)
    #expect(statistics.zeroRows == rows - kept.count)
    let mean = statistics.mean
    let deviation = statistics.standardDeviation ?? []
    for column in 0..<dimension {
      let column64 = kept.map { $0[column] }
      let referenceMean = column64.reduce(0, +) / Double(kept.count)
      let referenceVariance =
        column64.map { ($0 - referenceMean) * ($0 - referenceMean) }.reduce(0, +) / Double(kept.count)
      #expect(abs(mean[column] - referenceMean) <= 1e-5 * abs(referenceMean) + 1e-8)
      #expect(abs(deviation[column] - referenceVariance.squareRoot()) <= 1e-4 * referenceVariance.squareRoot())
    }
  }

  @Test func noRowsGiveAZeroMean() {
    let statistics = ColumnStatistics(dimension: 3, includingSquares: false)
    #expect(statistics.mean == [0, 0, 0])
    #expect(statistics.standardDeviation == nil)
  }
}

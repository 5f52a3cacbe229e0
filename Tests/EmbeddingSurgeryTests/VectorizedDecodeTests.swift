import EmbeddingSurgery
import Testing

/// The 16-wide conversions agree bit for bit with the element-by-element ones, for every bit
/// pattern (NaN payloads, infinities, subnormals and both zeros included), at every alignment.
struct VectorizedDecodeTests {
  /// All 65536 16-bit patterns, little-endian, after `shift` bytes of padding.
  func allPatterns(shift: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0xAB, count: shift)
    for bits in 0...UInt16.max {
      bytes.append(UInt8(truncatingIfNeeded: bits))
      bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
    }
    return bytes
  }

  @Test(arguments: [FloatingPointFormat.bfloat16, .float16], [0, 1, 3])
  func everyPatternConvertsAsTheScalarLoop(format: FloatingPointFormat, shift: Int) {
    let bytes = allPatterns(shift: shift)
    // 65535 elements: the vector loop and a 15-element tail.
    let count = 65535
    var vectorized = [Float](repeating: 0, count: count)
    var scalar = [Float](repeating: 0, count: count)
    bytes.withUnsafeBytes { raw in
      let source = UnsafeRawBufferPointer(rebasing: raw[shift..<(shift + count * format.byteWidth)])
      vectorized.withUnsafeMutableBufferPointer { format.decode(source, into: $0) }
      scalar.withUnsafeMutableBufferPointer { format.decodeScalar(source, into: $0) }
    }
    let mismatches = (0..<count).filter { vectorized[$0].bitPattern != scalar[$0].bitPattern }
    #expect(mismatches.count == 0, "first mismatch at bits \(mismatches.first.map { String($0, radix: 16) } ?? "")")
  }

  @Test func float16KnownValues() {
    let cases: [(UInt16, Float)] = [
      (0x3C00, 1), (0xC000, -2), (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24), (0x0400, 0x1p-14),
      (0x7BFF, 65504), (0x7C00, .infinity), (0xFC00, -.infinity), (0x8000, -0.0),
    ]
    var bytes: [UInt8] = []
    for (bits, _) in cases + cases {  // 18 elements: one vector and a tail
      bytes += [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8)]
    }
    var values = [Float](repeating: .nan, count: 2 * cases.count)
    bytes.withUnsafeBytes { raw in
      values.withUnsafeMutableBufferPointer { FloatingPointFormat.float16.decode(raw, into: $0) }
    }
    for (index, value) in values.enumerated() {
      #expect(value.bitPattern == cases[index % cases.count].1.bitPattern)
    }
  }

  @Test(arguments: [FloatingPointFormat.bfloat16, .float16, .float32])
  func columnSumsOfAVectorWideMatrixAreInColumnOrder(format: FloatingPointFormat) {
    // 48 columns (three groups of 16, no tail): row r holds column c as r + c/16, exactly
    // representable; row 2 is all zero (negative zero) and left out.
    let dimension = 48
    let rows = 5
    var bytes: [UInt8] = []
    for row in 0..<rows {
      for column in 0..<dimension {
        let value = row == 2 ? -0.0 : Double(row) + Double(column) / 16
        bytes += format.encode([value])
      }
    }
    var statistics = ColumnStatistics(dimension: dimension, includingSquares: true)
    bytes.withUnsafeBytes { statistics.accumulate(RowWindow($0, rowCount: rows, dimension: dimension, format: format)) }
    #expect(statistics.countedRows == 4)
    #expect(statistics.zeroRows == 1)
    for column in 0..<dimension {
      let values = [0.0, 1, 3, 4].map { $0 + Double(column) / 16 }
      #expect(statistics.sums[column] == values.reduce(0, +))
      #expect(statistics.sumsOfSquares?[column] == values.map { $0 * $0 }.reduce(0, +))
    }
  }
}

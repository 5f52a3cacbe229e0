/// The fused inner loop of ``ColumnStatistics``: for each row that is not all zero, converts it 16
/// elements at a time and adds it (and its squares) to `Float` column accumulators, in one pass
/// over the row while it is in the cache. The accumulators are kept in the decoder's lane order
/// (no shuffles in the loop) and put back in column order at the end.
///
/// The accumulators must start at zero: the reordering at the end applies to the whole sums.
enum ColumnSumKernel {
  /// Adds the rows of `window` that are not all zero to `sums` (and their squares to
  /// `squares`), `window.dimension` accumulators each.
  ///
  /// - Precondition: `sums` (and `squares`) hold `window.dimension` accumulators (checked in
  ///   builds with internal checks).
  /// - Returns: the number of rows added.
  /// - Complexity: O(*rows* × *dimension*), one pass.
  package static func accumulate(
    _ window: RowWindow, sums: UnsafeMutableBufferPointer<Float>, squares: UnsafeMutableBufferPointer<Float>?
  ) -> Int {
    internalCheck(
      sums.count == window.dimension && (squares?.count ?? window.dimension) == window.dimension,
      "\(sums.count) and \(squares?.count ?? 0) accumulators for rows of \(window.dimension)")
    guard let sums = sums.baseAddress else { return 0 }
    let squares = squares?.baseAddress
    return switch window.format {
    case .bfloat16: accumulate(BFloat16Decoder.self, window, sums, squares)
    case .float16: accumulate(Float16Decoder.self, window, sums, squares)
    case .float32: accumulate(Float32Decoder.self, window, sums, squares)
    case .float64: accumulateScalar(window, sums, squares)
    }
  }

  @inline(__always)
  private static func accumulate<D: ElementDecoder>(
    _ decoder: D.Type, _ window: RowWindow, _ sums: UnsafeMutablePointer<Float>,
    _ squares: UnsafeMutablePointer<Float>?
  ) -> Int {
    guard FloatingPointFormat.hostIsLittleEndian else { return accumulateScalar(window, sums, squares) }
    var kept = 0
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { tail in
      guard let tail = tail.baseAddress else { return }
      for id in window.rowIDs {
        guard let source = window.row(id).baseAddress else { continue }
        if addRow(D.self, source, dimension: window.dimension, format: window.format, sums, squares, tail: tail) {
          kept += 1
        }
      }
    }
    // The vector columns were summed in the decoder's lane order: put them back in place.
    if kept > 0, D.slot(of: 1) != 1 {
      for destination in [sums, squares] {
        guard let destination else { continue }
        restoreColumnOrder(D.self, destination, columns: window.dimension & ~15)
      }
    }
    return kept
  }

  /// Adds the row at `source` (and its squares), 16 columns at a time in the decoder's lane
  /// order, the rest (fewer than 16) through `tail`.
  ///
  /// Every row is added: an all-zero row adds nothing (x + ±0 is x, and the sums start at +0),
  /// so it is only counted out, by OR-ing its bits in the same pass.
  ///
  /// - Returns: whether the row is not all zero.
  @inline(__always)
  private static func addRow<D: ElementDecoder>(
    _ decoder: D.Type, _ source: UnsafeRawPointer, dimension: Int, format: FloatingPointFormat,
    _ sums: UnsafeMutablePointer<Float>, _ squares: UnsafeMutablePointer<Float>?, tail: UnsafeMutablePointer<Float>
  ) -> Bool {
    let vectorColumns = dimension & ~15
    let sumBytes = UnsafeMutableRawPointer(sums)
    let squareBytes = squares.map(UnsafeMutableRawPointer.init)
    var bits = SIMD4<UInt64>()
    var column = 0
    while column < vectorColumns {
      let address = source + column * D.byteWidth
      bits |= orBits(address, byteWidth: D.byteWidth)
      let (first, second) = D.load16(address)
      add(first, to: sumBytes, at: column * 4)
      add(second, to: sumBytes, at: column * 4 + 32)
      if let squareBytes {
        add(first * first, to: squareBytes, at: column * 4)
        add(second * second, to: squareBytes, at: column * 4 + 32)
      }
      column += 16
    }
    var isZero = (bits[0] | bits[1] | bits[2] | bits[3]) & signlessMask(format) == 0
    if column < dimension {
      let rest = dimension - column
      isZero = isZero && format.isAllZero(source + column * D.byteWidth, count: rest)
      format.decodeScalar(source + column * D.byteWidth, count: rest, into: tail)
      for index in 0..<rest {
        sums[column + index] += tail[index]
        squares?[column + index] += tail[index] * tail[index]
      }
    }
    return !isZero
  }

  /// Puts the first `columns` accumulators (a multiple of 16), kept in the decoder's lane order,
  /// back in column order.
  private static func restoreColumnOrder<D: ElementDecoder>(
    _ decoder: D.Type, _ accumulators: UnsafeMutablePointer<Float>, columns: Int
  ) {
    var group = SIMD16<Float>()
    for start in stride(from: 0, to: columns, by: 16) {
      for index in 0..<16 { group[index] = accumulators[start + D.slot(of: index)] }
      for index in 0..<16 { accumulators[start + index] = group[index] }
    }
  }

  @inline(__always)
  private static func add(_ values: SIMD8<Float>, to base: UnsafeMutableRawPointer, at offset: Int) {
    base.storeBytes(
      of: base.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) + values,
      toByteOffset: offset, as: SIMD8<Float>.self)
  }

  /// The same for any format and host, one element at a time.
  private static func accumulateScalar(
    _ window: RowWindow, _ sums: UnsafeMutablePointer<Float>, _ squares: UnsafeMutablePointer<Float>?
  ) -> Int {
    let dimension = window.dimension
    let format = window.format
    var kept = 0
    withUnsafeTemporaryAllocation(of: Float.self, capacity: dimension) { row in
      guard let row = row.baseAddress else { return }
      for id in window.rowIDs {
        guard let source = window.row(id).baseAddress else { continue }
        if format.isAllZero(source, count: dimension) { continue }
        kept += 1
        format.decodeScalar(source, count: dimension, into: row)
        for column in 0..<dimension {
          sums[column] += row[column]
          squares?[column] += row[column] * row[column]
        }
      }
    }
    return kept
  }

  /// The raw bits of the 16 elements at `address` (32 or 64 bytes), OR-ed into 32 bytes.
  @inline(__always)
  private static func orBits(_ address: UnsafeRawPointer, byteWidth: Int) -> SIMD4<UInt64> {
    let bits = address.loadUnaligned(as: SIMD4<UInt64>.self)
    guard byteWidth == 4 else { return bits }
    return bits | address.loadUnaligned(fromByteOffset: 32, as: SIMD4<UInt64>.self)
  }

  /// Every bit of a 64-bit word of elements but their sign bits.
  @inline(__always)
  private static func signlessMask(_ format: FloatingPointFormat) -> UInt64 {
    switch format.byteWidth {
    case 2: 0x7FFF_7FFF_7FFF_7FFF
    case 4: 0x7FFF_FFFF_7FFF_FFFF
    default: 0x7FFF_FFFF_FFFF_FFFF
    }
  }
}

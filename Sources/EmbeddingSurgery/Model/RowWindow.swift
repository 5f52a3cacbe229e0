/// Consecutive rows of a matrix in memory (a window of a mapped file, or a buffer): the one place
/// where a row's address is computed from its id. It hands out counted buffers and checks every
/// id it is given, as swift-collections' `Deque._UnsafeHandle` does for its storage.
///
/// A window does not own its memory: it is valid only inside the closure that provides it
/// (``MatrixRows/forEachWindow(rows:_:)``, or the caller's own buffer).
package struct RowWindow: @unchecked Sendable {
  /// The bytes of the rows, `rowCount × rowBytes` of them.
  package let bytes: UnsafeRawBufferPointer
  /// The id of the first row.
  package let firstRow: Int
  /// The number of rows.
  package let rowCount: Int
  /// Elements per row.
  package let dimension: Int
  /// The element format.
  package let format: FloatingPointFormat

  /// A window over `bytes`, which holds `rowCount` rows of `dimension` elements of `format`;
  /// the first is row `firstRow`.
  ///
  /// - Precondition: `bytes.count` is `rowCount` times the row size.
  package init(
    _ bytes: UnsafeRawBufferPointer, firstRow: Int = 0, rowCount: Int, dimension: Int, format: FloatingPointFormat
  ) {
    precondition(rowCount >= 0 && bytes.count == rowCount * dimension * format.byteWidth, "a window holds whole rows")
    self.bytes = bytes
    self.firstRow = firstRow
    self.rowCount = rowCount
    self.dimension = dimension
    self.format = format
  }

  /// Bytes per row.
  package var rowBytes: Int { dimension * format.byteWidth }

  /// The ids of the rows.
  package var rowIDs: Range<Int> { firstRow..<(firstRow + rowCount) }

  /// The bytes of row `id`.
  ///
  /// - Precondition: `id` is in ``rowIDs``.
  @inline(__always)
  package func row(_ id: Int) -> UnsafeRawBufferPointer {
    precondition(rowIDs.contains(id), "row \(id) is outside the window \(rowIDs)")
    let start = (id - firstRow) * rowBytes
    return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + rowBytes)])
  }

  /// The rows `ids`, as a window of their own.
  ///
  /// - Precondition: `ids` lies in ``rowIDs``.
  package func rows(_ ids: Range<Int>) -> RowWindow {
    precondition(
      ids.isEmpty || (rowIDs.contains(ids.lowerBound) && ids.upperBound <= rowIDs.upperBound),
      "rows \(ids) are outside the window \(rowIDs)")
    let start = (ids.lowerBound - firstRow) * rowBytes
    return RowWindow(
      UnsafeRawBufferPointer(rebasing: bytes[start..<(start + ids.count * rowBytes)]), firstRow: ids.lowerBound,
      rowCount: ids.count, dimension: dimension, format: format)
  }

  /// Calls `body` with consecutive sub-windows of at most `rows` rows each, in order.
  package func forEachBlock(of rows: Int, _ body: (RowWindow) -> Void) {
    var start = rowIDs.lowerBound
    while start < rowIDs.upperBound {
      let end = min(start + max(rows, 1), rowIDs.upperBound)
      body(self.rows(start..<end))
      start = end
    }
  }

  /// Calls `body` with consecutive blocks of about 4 MiB of `Float`s once converted
  /// (``ColumnStatistics/blockRows(dimension:)``): how the statistics reduce a window.
  ///
  /// - Precondition: the window's rows have `dimension` elements.
  func forEachStatisticsBlock(dimension: Int, _ body: (RowWindow) -> Void) {
    precondition(self.dimension == dimension, "rows of \(self.dimension) elements, \(dimension) expected")
    guard dimension > 0 else { return }
    forEachBlock(of: ColumnStatistics.blockRows(dimension: dimension), body)
  }

  /// Calls `body` with each run of consecutive rows not in `excluded`, as windows.
  func forEachRun(excluding excluded: Set<Int>, _ body: (RowWindow) -> Void) {
    var start = rowIDs.lowerBound
    while start < rowIDs.upperBound {
      while start < rowIDs.upperBound, excluded.contains(start) { start += 1 }
      var end = start
      while end < rowIDs.upperBound, !excluded.contains(end) { end += 1 }
      if end > start { body(rows(start..<end)) }
      start = end
    }
  }
}

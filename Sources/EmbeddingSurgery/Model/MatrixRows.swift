import SafeTensors

/// A 2-D matrix of a mapped safetensors file, read row by row in windows whose pages are released
/// once they are used, so that reading a matrix does not keep it resident.
///
/// The one windowed row reader: `audit` and `diff` (``RowNorms``, ``RowDifferences``),
/// ``UntrainedRows`` and the statistics of ``RowInitializer`` read matrices through it.
package struct MatrixRows: Sendable {
  let tensor: TensorInfo
  let file: SafeTensorsFile
  let format: FloatingPointFormat
  var rows: Int { tensor.shape[0] }
  var dimension: Int { tensor.shape[1] }
  var rowBytes: Int { dimension * format.byteWidth }
  var name: String { tensor.name.string }

  /// Bytes mapped at a time.
  static let windowBytes = 16 << 20

  package init(tensor: TensorInfo, file: SafeTensorsFile) throws(SurgeryError) {
    guard tensor.shape.count == 2 else {
      throw .unsupportedTensor(
        path: file.path, name: tensor.name.string, reason: "has shape \(tensor.shape); a 2-D matrix was expected")
    }
    self.tensor = tensor
    self.file = file
    self.format = try FloatingPointFormat.of(tensor, path: file.path)
  }

  /// A reader over `tensor` whose format the caller has already checked.
  package init(tensor: TensorInfo, file: SafeTensorsFile, format: FloatingPointFormat) {
    self.tensor = tensor
    self.file = file
    self.format = format
  }

  /// Opens the tensor `info` of `checkpoint`.
  package init(_ info: TensorInfo, in checkpoint: Checkpoint) throws(SurgeryError) {
    let file: SafeTensorsFile
    do throws(SafeTensorsError) {
      guard let name = try checkpoint.location(of: info.name) else {
        throw SafeTensorsError.notACheckpoint(
          path: checkpoint.path, reason: "no file holds the tensor \(info.name.string)")
      }
      file = try checkpoint.file(named: name)
    } catch {
      throw .safeTensors(error)
    }
    try self.init(tensor: info, file: file)
  }

  /// The absolute byte range of rows `first..<first + count`.
  func byteRange(first: Int, count: Int) -> Range<Int> {
    let start = file.absoluteRange(of: tensor).lowerBound + first * rowBytes
    return start..<(start + count * rowBytes)
  }

  /// Calls `body` with consecutive windows of the rows `range` (all rows by default), about
  /// ``windowBytes`` each, releasing each window's pages afterwards.
  func forEachWindow(rows range: Range<Int>? = nil, _ body: (RowWindow) -> Void) {
    let range = range ?? 0..<rows
    let windowRows = max(1, MatrixRows.windowBytes / max(rowBytes, 1))
    var start = range.lowerBound
    while start < range.upperBound {
      let count = min(windowRows, range.upperBound - start)
      withWindow(rows: start..<(start + count), body)
      file.releasePages(in: byteRange(first: start, count: count))
      start += count
    }
  }

  /// The matrix cut into windows of about ``windowBytes``: row ranges, in order.
  package func windows() -> [Range<Int>] {
    let windowRows = max(1, MatrixRows.windowBytes / max(rowBytes, 1))
    return stride(from: 0, to: rows, by: windowRows).map { $0..<min($0 + windowRows, rows) }
  }

  /// Lets the kernel drop the pages of the rows `range`.
  func releasePages(rows range: Range<Int>) {
    file.releasePages(in: byteRange(first: range.lowerBound, count: range.count))
  }

  /// Calls `body` with the window of the rows `range` (no pages are released).
  func withWindow<R>(rows range: Range<Int>, _ body: (RowWindow) -> R) -> R {
    file.withBytes(in: byteRange(first: range.lowerBound, count: range.count)) { bytes in
      body(RowWindow(bytes, firstRow: range.lowerBound, rowCount: range.count, dimension: dimension, format: format))
    }
  }

  /// Calls `body` with the bytes of row `id` (no pages are released: for a few rows only).
  func withRow<R>(_ id: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    withWindow(rows: id..<(id + 1)) { body($0.row(id)) }
  }
}

import FileSystem
import SafeTensors

/// Rows computed for one tensor, written into an output file that already holds the tensor at its
/// final size (with those rows zero).
struct RowPatch: Sendable {
  /// The input file the tensor comes from (for a folder, the shard's name in the folder).
  var fileName: String
  /// The tensor's name.
  var tensor: TensorName
  /// Bytes per row (per entry, for a one-dimensional bias).
  var elementBytes: Int
  /// Row ids, ascending, with their bytes.
  var rows: [(Int, [UInt8])]

  /// Writes the rows into the file at `path`, found by the tensor's entry in its header; runs of
  /// consecutive rows are written with one `pwrite`.
  func apply(toOutput path: String) throws(SurgeryError) {
    guard !rows.isEmpty else { return }
    let file: SafeTensorsFile
    do {
      file = try SafeTensorsFile(path: path)
    } catch {
      throw .safeTensors(error)
    }
    guard let info = file.header.tensor(named: tensor) else {
      throw .fileSystem(.failed(operation: "find \(tensor.string) in the written file", path: path, errno: .ioError))
    }
    let base = file.absoluteRange(of: info).lowerBound
    let output = try fileSystem { () throws(FileSystemError) in try OutputFile(updating: path) }
    var index = 0
    while index < rows.count {
      var end = index + 1
      while end < rows.count, rows[end].0 == rows[end - 1].0 + 1 { end += 1 }
      var bytes: [UInt8] = []
      bytes.reserveCapacity((end - index) * elementBytes)
      for row in rows[index..<end] { bytes.append(contentsOf: row.1) }
      let offset = Int64(base + rows[index].0 * elementBytes)
      try fileSystem { () throws(FileSystemError) in try output.write(bytes, at: offset) }
      index = end
    }
    do {
      try output.close()
    } catch {
      throw .fileSystem(error)
    }
  }
}

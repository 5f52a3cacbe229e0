import SafeTensors

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

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
    let base: Int
    do {
      let file = try SafeTensorsFile(path: path)
      guard let info = file.header.tensors.first(where: { $0.name == tensor }) else {
        throw SurgeryError.io(path: path, operation: "find \(tensor.string) in the written file", code: EIO)
      }
      base = file.absoluteRange(of: info).lowerBound
    } catch let error as SurgeryError {
      throw error
    } catch let error as SafeTensorsError {
      throw .safeTensors(error)
    } catch {
      throw .io(path: path, operation: "open", code: EIO)
    }
    let descriptor = open(path, O_WRONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw .io(path: path, operation: "open for writing", code: errno) }
    defer { close(descriptor) }
    var index = 0
    while index < rows.count {
      var end = index + 1
      while end < rows.count, rows[end].0 == rows[end - 1].0 + 1 { end += 1 }
      var bytes: [UInt8] = []
      bytes.reserveCapacity((end - index) * elementBytes)
      for row in rows[index..<end] { bytes.append(contentsOf: row.1) }
      try write(bytes, at: base + rows[index].0 * elementBytes, descriptor: descriptor, path: path)
      index = end
    }
  }

  private func write(_ bytes: [UInt8], at offset: Int, descriptor: Int32, path: String) throws(SurgeryError) {
    var done = 0
    while done < bytes.count {
      let count = bytes[done...].withUnsafeBytes { buffer in
        pwrite(descriptor, buffer.baseAddress, buffer.count, off_t(offset + done))
      }
      if count < 0 {
        if errno == EINTR { continue }
        throw .io(path: path, operation: "write", code: errno)
      }
      guard count > 0 else { throw .io(path: path, operation: "write", code: EIO) }
      done += count
    }
  }
}

import FileSystem
import StrictJSON
import SystemPackage

/// Writes safetensors files byte for byte as the reference (`safetensors.numpy.save_file`) does,
/// streaming one tensor segment at a time.
public enum SafeTensorsWriter {
  /// The path used in errors about a header built without a file.
  static let headerPath: FilePath = "safetensors header"

  /// A tensor placed in the output: its entry and its byte size.
  struct Placed {
    var tensor: TensorToWrite
    /// The dimensions written in the header.
    var dimensions: [UInt64]
    var begin: UInt64
    var end: UInt64
  }

  /// Sorts and places the tensors as the reference does, validating names and sizes.
  static func layout(_ tensors: [TensorToWrite], path: FilePath) throws(SafeTensorsError) -> [Placed] {
    var names: Set<[UInt8]> = []
    for tensor in tensors {
      if tensor.name.utf8.elementsEqual("__metadata__".utf8) { throw .reservedName(path: path) }
      guard names.insert(tensor.name.utf8).inserted else {
        throw .duplicateTensor(path: path, tensor: tensor.name)
      }
    }
    let sorted = tensors.sorted { lhs, rhs in
      let (left, right) = (lhs.dtype.writeRank, rhs.dtype.writeRank)
      return left != right ? left < right : lhs.name < rhs.name
    }
    var placed: [Placed] = []
    placed.reserveCapacity(sorted.count)
    var offset: UInt64 = 0
    for tensor in sorted {
      let dimensions: [UInt64]
      switch tensor.headerDimensions {
      case .success(let exact): dimensions = exact
      case .failure(let negative):
        throw .invalidTensor(
          path: path, tensor: tensor.name, reason: "negative dimension \(negative.value) in shape \(tensor.shape)")
      }
      let size: UInt64
      switch TensorSize.byteCount(dtype: tensor.dtype, shape: dimensions) {
      case .success(let bytes): size = bytes
      case .failure(.overflow): throw .overflow(path: path, tensor: tensor.name)
      case .failure(.notWholeBytes(let bits)):
        throw .misalignedBits(path: path, tensor: tensor.name, bits: bits)
      }
      let (end, overflow) = offset.addingReportingOverflow(size)
      guard !overflow, end <= UInt64(Int64.max) else { throw .overflow(path: path, tensor: tensor.name) }
      placed.append(Placed(tensor: tensor, dimensions: dimensions, begin: offset, end: end))
      offset = end
    }
    return placed
  }

  /// The header bytes for tensors already placed, in the order given: the 8-byte length, then the
  /// JSON followed by `padding(jsonLength)` spaces (by default the reference's, up to a multiple
  /// of 8; ``SharingLayout`` asks for more to keep the data section's offset modulo a block).
  static func header(
    for placed: [Placed], metadata: [String: String]?,
    padding: (_ jsonLength: Int) -> Int = { (8 - $0 % 8) % 8 }
  ) -> [UInt8] {
    var json: [UInt8] = [UInt8(ascii: "{")]
    var first = true
    func separator() {
      if !first { json.append(UInt8(ascii: ",")) }
      first = false
    }
    if let metadata {
      separator()
      json.append(contentsOf: #""__metadata__":{"#.utf8)
      let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      for (index, key) in keys.enumerated() {
        if index > 0 { json.append(UInt8(ascii: ",")) }
        JSONWriter.writeString(key, into: &json)
        json.append(UInt8(ascii: ":"))
        JSONWriter.writeString(metadata[key] ?? "", into: &json)
      }
      json.append(UInt8(ascii: "}"))
    }
    for entry in placed {
      separator()
      JSONWriter.writeString(entry.tensor.name.string, into: &json)
      json.append(contentsOf: #":{"dtype":""#.utf8)
      json.append(contentsOf: entry.tensor.dtype.rawValue.utf8)
      json.append(contentsOf: #"","shape":["#.utf8)
      json.append(contentsOf: entry.dimensions.map(String.init).joined(separator: ",").utf8)
      json.append(contentsOf: #"],"data_offsets":["#.utf8)
      json.append(contentsOf: "\(entry.begin),\(entry.end)]}".utf8)
    }
    json.append(UInt8(ascii: "}"))
    json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding(json.count)))
    var bytes: [UInt8] = []
    bytes.reserveCapacity(8 + json.count)
    let length = UInt64(json.count)
    for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
    return bytes + json
  }

  /// The complete header for `tensors`: the 8-byte little-endian length and the compact JSON
  /// padded with spaces to a multiple of 8, exactly as the reference writes it: `__metadata__`
  /// first (keys sorted by bytes; none when `metadata` is `nil`), then the tensors sorted by their
  /// dtype's position in ``DType/writeOrder`` and then by name bytes, each as
  /// `{"dtype":…,"shape":[…],"data_offsets":[begin,end]}`.
  ///
  /// - Throws: for a duplicate name, a tensor named `__metadata__`, a negative dimension, a size
  ///   that overflows or is not a whole number of bytes.
  public static func header(
    for tensors: [TensorToWrite], metadata: [String: String]?
  ) throws(SafeTensorsError) -> [UInt8] {
    header(for: try layout(tensors, path: headerPath), metadata: metadata)
  }

  /// Writes a safetensors file, streaming one segment at a time (it never holds more than one
  /// `.bytes` segment and a 64 MiB window of a source file).
  ///
  /// With `atomically` (the default) the file is written to a temporary file in `path`'s folder,
  /// flushed, and renamed over `path` only when complete; otherwise it is written straight to
  /// `path` (for a caller that manages its own temporary folder). The new file's mode follows
  /// the umask (created with 0666). Nothing is left behind on error.
  ///
  /// - Parameters:
  ///   - metadata: the `__metadata__` map; `nil` writes none.
  ///   - progress: called from time to time with the bytes written so far and the total.
  /// - Throws: ``SafeTensorsError/sameFile(path:source:)`` when `path` is a file the tensors are
  ///   read from; ``SafeTensorsError/invalidTensor(path:tensor:reason:)`` when a tensor's segments
  ///   do not add up to its size or a segment lies outside its file; the errors of
  ///   ``header(for:metadata:)``; I/O errors.
  public static func write(
    _ tensors: [TensorToWrite], metadata: [String: String]? = ["format": "pt"], to path: FilePath,
    atomically: Bool = true, progress: ((Int64, Int64) -> Void)? = nil
  ) throws(SafeTensorsError) {
    let placed = try layout(tensors, path: path)
    try check(placed, path: path)
    let headerBytes = header(for: placed, metadata: metadata)
    let totalBytes = Int64(headerBytes.count) + Int64(placed.last?.end ?? 0)
    let temporary = TemporaryName(for: path, kind: .partial)
    let outputPath = atomically ? temporary.path : path
    if atomically {
      // A leftover of a killed process that had this process's id (ids are reused).
      temporary.path.removeRegularFile()
      TemporaryOutputs.register(.remove(temporary.path))
    }
    defer { if atomically { TemporaryOutputs.unregister(.remove(temporary.path)) } }
    var opened = false
    do throws(SafeTensorsError) {
      let output = try fileSystem { () throws(FileSystemError) in
        try OutputFile(creating: outputPath, exclusive: atomically)
      }
      opened = true
      var written: Int64 = 0
      var reported: Int64 = 0
      func advance(_ count: Int) {
        written += Int64(count)
        if let progress, written - reported >= 16 << 20 || written == totalBytes {
          reported = written
          progress(written, totalBytes)
        }
      }
      try fileSystem { () throws(FileSystemError) in try output.write(headerBytes) }
      advance(headerBytes.count)
      for entry in placed { try writeSegments(of: entry.tensor, to: output, path: path, advance: advance) }
      if written == 0 || reported != written { progress?(written, totalBytes) }
      if atomically { try fileSystem { () throws(FileSystemError) in try output.synchronize() } }
      do {
        try output.close()
      } catch {
        throw SafeTensorsError(error)
      }
      if atomically {
        try fileSystem { () throws(FileSystemError) in try outputPath.rename(to: path) }
      }
    } catch {
      // Remove what was written, but never a device or anything else that is not a regular file.
      if opened { outputPath.removeRegularFile() }
      throw error
    }
  }

  /// Checks that every tensor's segments add up to its size and lie inside their files, and that
  /// none is read from the file at `path`.
  private static func check(_ placed: [Placed], path: FilePath) throws(SafeTensorsError) {
    for entry in placed {
      var total: UInt64 = 0
      for segment in entry.tensor.segments {
        if case .file(let file, let range) = segment, range.lowerBound < 0 || range.upperBound > file.size {
          throw .invalidTensor(
            path: path, tensor: entry.tensor.name,
            reason: "segment \(range) lies outside \(file.path) (\(file.size) bytes)")
        }
        total += UInt64(segment.count)
      }
      guard total == entry.end - entry.begin else {
        throw .invalidTensor(
          path: path, tensor: entry.tensor.name,
          reason:
            "its segments hold \(total) bytes but \(entry.tensor.dtype.rawValue) \(entry.tensor.shape) needs \(entry.end - entry.begin)"
        )
      }
    }
    guard let target = path.status()?.identity else { return }
    for entry in placed {
      for case .file(let file, _) in entry.tensor.segments where file.identity == target {
        throw .sameFile(path: path, source: file.path)
      }
    }
  }

  /// Writes the segments of `tensor` to `output`, in order, calling `advance` with the bytes
  /// written.
  private static func writeSegments(
    of tensor: TensorToWrite, to output: borrowing OutputFile, path: FilePath, advance: (Int) -> Void
  ) throws(SafeTensorsError) {
    for segment in tensor.segments {
      switch segment {
      case .bytes(let bytes):
        try fileSystem { () throws(FileSystemError) in try output.write(bytes) }
        advance(bytes.count)
      case .file(let file, let range):
        try fileSystem { () throws(FileSystemError) in
          try output.copy(from: file.input, range: Int64(range.lowerBound)..<Int64(range.upperBound), advance: advance)
        }
      case .producer(let byteCount, let chunkBytes, let produce):
        var offset = 0
        while offset < byteCount {
          let count = min(max(chunkBytes, 1), byteCount - offset)
          let chunk = produce(offset, count)
          guard chunk.count == count else {
            throw .invalidTensor(
              path: path, tensor: tensor.name,
              reason: "its producer made \(chunk.count) bytes at offset \(offset), \(count) were asked for")
          }
          try fileSystem { () throws(FileSystemError) in try output.write(chunk) }
          advance(count)
          offset += count
        }
      }
    }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file open for writing, with the copy primitives the writer needs. Closes on destruction.
struct OutputFile: ~Copyable {
  let descriptor: Int32
  let path: String
  private var isClosed = false

  /// Creates (or, without `exclusive`, truncates) `path`, with mode 0666 filtered by the umask.
  init(creating path: String, exclusive: Bool) throws(SafeTensorsError) {
    let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC)
    let descriptor = open(path, flags, 0o666)
    guard descriptor >= 0 else {
      throw .io(path: path, operation: "open for writing", errno: errno)
    }
    self.descriptor = descriptor
    self.path = path
  }

  /// Writes all of `bytes`.
  func write(_ bytes: UnsafeRawBufferPointer) throws(SafeTensorsError) {
    guard var address = bytes.baseAddress else { return }
    var remaining = bytes.count
    while remaining > 0 {
      let written = Glibc.write(descriptor, address, min(remaining, 1 << 30))
      if written < 0 {
        if errno == EINTR { continue }
        throw .io(path: path, operation: "write", errno: errno)
      }
      guard written > 0 else { throw .io(path: path, operation: "write", errno: EIO) }
      remaining -= written
      address += written
    }
  }

  /// Writes all of `bytes`.
  func write(_ bytes: [UInt8]) throws(SafeTensorsError) {
    let result = bytes.withUnsafeBytes { buffer in
      Result { () throws(SafeTensorsError) in try write(buffer) }
    }
    try result.get()
  }

  /// Appends `range` of `source` (absolute offsets), in the kernel when it can, calling `advance`
  /// with each number of bytes copied.
  func copy(
    from source: SafeTensorsFile, range: Range<Int>, advance: (Int) -> Void
  ) throws(SafeTensorsError) {
    var offset = Int64(range.lowerBound)
    let end = Int64(range.upperBound)
    let chunk: Int64 = 64 << 20
    var useKernel = true
    while offset < end {
      let length = Int(min(chunk, end - offset))
      if useKernel {
        var inputOffset = offset
        guard let copyFileRange = KernelCopy.function else {
          useKernel = false
          continue
        }
        let copied = copyFileRange(source.descriptor, &inputOffset, descriptor, nil, length, 0)
        if copied > 0 {
          offset += Int64(copied)
          advance(copied)
          continue
        }
        if copied < 0 && errno == EINTR { continue }
        if copied == 0 {
          // The end of the source came before the end of the range: the file was truncated
          // after it was opened (reading the mapping would raise SIGBUS). Else the file system
          // cannot copy: fall back to the mapping.
          var status = stat()
          if fstat(source.descriptor, &status) == 0, Int64(status.st_size) < end {
            throw .truncated(path: source.path, dataEnd: UInt64(end), fileSize: Int(status.st_size))
          }
          useKernel = false
          continue
        }
        if copied < 0, [EXDEV, EINVAL, ENOSYS, EOPNOTSUPP, EBADF, EPERM, ETXTBSY].contains(errno) {
          useKernel = false
          continue
        }
        throw .io(path: path, operation: "copy_file_range from \(source.path)", errno: errno)
      }
      let lower = Int(offset)
      let result = source.withBytes(in: lower..<(lower + length)) { bytes in
        Result { () throws(SafeTensorsError) in try write(bytes) }
      }
      try result.get()
      source.releasePages(in: lower..<(lower + length))
      offset += Int64(length)
      advance(length)
    }
  }

  /// Flushes the data to the disk.
  func synchronize() throws(SafeTensorsError) {
    guard fsync(descriptor) == 0 else { throw .io(path: path, operation: "fsync", errno: errno) }
  }

  /// Closes the file, reporting a failure (which can be a delayed write error).
  consuming func close() throws(SafeTensorsError) {
    isClosed = true
    guard Glibc.close(descriptor) == 0 else { throw .io(path: path, operation: "close", errno: errno) }
  }

  deinit {
    if !isClosed { _ = Glibc.close(descriptor) }
  }
}

/// `copy_file_range(2)`, which the Glibc module does not export: looked up once at run time.
enum KernelCopy {
  typealias Function = @convention(c) (
    Int32, UnsafeMutablePointer<Int64>?, Int32, UnsafeMutablePointer<Int64>?, Int, UInt32
  ) -> Int

  static let function: Function? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "copy_file_range") else {
      return nil
    }
    return unsafeBitCast(symbol, to: Function.self)
  }()
}

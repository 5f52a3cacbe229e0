import CFileSystem
import Glibc
import SystemPackage

/// A file open for writing, with the kernel copy and clone primitives the writers need. Closes
/// on destruction; ``close()`` reports a delayed write error.
public struct OutputFile: ~Copyable, Sendable {
  /// The open descriptor.
  public let descriptor: FileDescriptor
  /// The path, for messages.
  public let path: FilePath
  private var isClosed = false

  /// Creates the file at `path` with mode 0666 filtered by the umask: `exclusive` refuses an
  /// existing file, else an existing file is truncated.
  public init(creating path: FilePath, exclusive: Bool) throws(FileSystemError) {
    descriptor = try SystemCall.open(
      path, .writeOnly, options: [.create, exclusive ? .exclusiveCreate : .truncate],
      permissions: [.ownerReadWrite, .groupReadWrite, .otherReadWrite], operation: "open for writing")
    self.path = path
  }

  /// Opens the existing file at `path` for writing in place (no truncation).
  public init(updating path: FilePath) throws(FileSystemError) {
    descriptor = try SystemCall.open(path, .writeOnly, operation: "open for writing")
    self.path = path
  }

  /// Appends all of `bytes` at the file's offset.
  public func write(_ bytes: UnsafeRawBufferPointer) throws(FileSystemError) {
    do {
      _ = try SystemCall.converting { try descriptor.writeAll(bytes) }
    } catch {
      throw .failed(operation: "write", path: path, errno: error)
    }
  }

  /// Appends all of `bytes` at the file's offset.
  public func write(_ bytes: [UInt8]) throws(FileSystemError) {
    do {
      _ = try SystemCall.converting { try descriptor.writeAll(bytes) }
    } catch {
      throw .failed(operation: "write", path: path, errno: error)
    }
  }

  /// Writes all of `bytes` at `offset` (the file's own offset does not move).
  public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(FileSystemError) {
    do {
      _ = try SystemCall.converting { try descriptor.writeAll(toAbsoluteOffset: offset, bytes) }
    } catch {
      throw .failed(operation: "write", path: path, errno: error)
    }
  }

  /// Writes all of `bytes` at `offset` (the file's own offset does not move).
  public func write(_ bytes: [UInt8], at offset: Int64) throws(FileSystemError) {
    do {
      _ = try SystemCall.converting { try descriptor.writeAll(toAbsoluteOffset: offset, bytes) }
    } catch {
      throw .failed(operation: "write", path: path, errno: error)
    }
  }

  /// Sets the file's size (`ftruncate`): a longer file reads as zeros past the old end.
  public func resize(to size: Int64) throws(FileSystemError) {
    do {
      try SystemCall.converting { try descriptor.resize(to: size) }
    } catch {
      throw .failed(operation: "resize", path: path, errno: error)
    }
  }

  /// Copies `range` of `source` (absolute offsets) to `offset` of this file (or, when `offset`
  /// is `nil`, to the file's own offset, which advances), in the kernel when it can
  /// (`copy_file_range`, which shares blocks on copy-on-write file systems when both offsets are
  /// congruent modulo the block size), else through a buffer. Calls `advance` with each number of
  /// bytes copied.
  ///
  /// A copy to a given `offset` that is not a multiple of 64 KiB first copies up to the next
  /// multiple: the kernel's copy runs a third slower when the destination's large page-cache
  /// folios are written from their middle (measured on ext4: 2.37 GB from offset 4096 to 4096 in
  /// 1.45 s, split at 64 KiB in 1.15 s, as fast as from 0 to 0).
  ///
  /// - Throws: ``FileSystemError/truncated(path:expectedEnd:size:)`` when `source` ends before
  ///   `range` does (it was truncated after it was opened); any other failure of the copy.
  public func copy(
    from source: borrowing InputFile, range: Range<Int64>, to offset: Int64? = nil,
    advance: (Int) -> Void = { _ in }
  ) throws(FileSystemError) {
    var position = range.lowerBound
    var outputPosition = offset
    let chunk: Int64 = 1 << 30
    let alignment: Int64 = 64 << 10
    while position < range.upperBound {
      var length = Int(min(chunk, range.upperBound - position))
      if let target = outputPosition, target % alignment != 0 {
        length = min(length, Int(alignment - target % alignment))
      }
      var inputOffset = position
      let result: Result<Int, Errno>
      if var target = outputPosition {
        result = SystemCall.retrying {
          cfilesystem_copy_file_range(source.descriptor.rawValue, &inputOffset, descriptor.rawValue, &target, length)
        }
      } else {
        result = SystemCall.retrying {
          cfilesystem_copy_file_range(source.descriptor.rawValue, &inputOffset, descriptor.rawValue, nil, length)
        }
      }
      switch result {
      case .success(let copied) where copied > 0:
        position += Int64(copied)
        outputPosition = outputPosition.map { $0 + Int64(copied) }
        advance(copied)
        continue
      case .success:
        // The end of the source came first: it was truncated, or the file system copies nothing
        // (some pseudo file systems): tell which by its size.
        let size = try source.status().size
        if size < range.upperBound { throw .truncated(path: source.path, expectedEnd: range.upperBound, size: size) }
      case .failure(let code) where Self.kernelCannotCopy(code):
        break
      case .failure(let code):
        throw .failed(operation: "copy_file_range from \(source.path)", path: path, errno: code)
      }
      // The kernel cannot copy between these files: read and write the rest through a buffer.
      try copyThroughBuffer(
        from: source, range: position..<range.upperBound, to: outputPosition, advance: advance)
      return
    }
  }

  /// Whether a `copy_file_range` failure means "not between these files" (fall back to a buffer).
  static func kernelCannotCopy(_ code: Errno) -> Bool {
    [.improperLink, .invalidArgument, .noFunction, .notSupported, .badFileDescriptor, .notPermitted, .textFileBusy]
      .contains(code)
  }

  private func copyThroughBuffer(
    from source: borrowing InputFile, range: Range<Int64>, to offset: Int64?, advance: (Int) -> Void
  ) throws(FileSystemError) {
    let capacity = Int(min(Int64(8 << 20), range.upperBound - range.lowerBound))
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
    defer { buffer.deallocate() }
    var position = range.lowerBound
    while position < range.upperBound {
      let wanted = Int(min(Int64(capacity), range.upperBound - position))
      let count = try source.read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]))
      if count == 0 {
        let size = (try? source.status().size) ?? position
        throw .truncated(path: source.path, expectedEnd: range.upperBound, size: size)
      }
      let slice = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
      if let destination = offset.map({ $0 + (position - range.lowerBound) }) {
        try write(slice, at: destination)
      } else {
        try write(slice)
      }
      position += Int64(count)
      advance(count)
    }
  }

  /// Makes `length` bytes at `offset` of this file share the blocks of `source` at
  /// `sourceOffset` (`FICLONERANGE`). Offsets and length must be multiples of the block size
  /// (the length may end at the source's end of file).
  ///
  /// - Returns: `false` when the file system cannot share them (not copy-on-write, different
  ///   file systems, unaligned): the caller copies instead. Other failures throw.
  public func clone(
    from source: borrowing InputFile, sourceOffset: Int64, length: Int64, to offset: Int64
  ) throws(FileSystemError) -> Bool {
    let result = SystemCall.retrying {
      cfilesystem_clone_range(
        descriptor.rawValue, source.descriptor.rawValue, UInt64(sourceOffset), UInt64(length), UInt64(offset))
    }
    switch result {
    case .success: return true
    case .failure(let code) where Self.kernelCannotCopy(code): return false
    case .failure(let code):
      throw .failed(operation: "clone a range of \(source.path)", path: path, errno: code)
    }
  }

  /// Makes this (empty) file share every block of `source` (`FICLONE`).
  ///
  /// - Returns: `false` when the file system cannot; other failures throw.
  public func cloneWhole(from source: borrowing InputFile) throws(FileSystemError) -> Bool {
    switch SystemCall.retrying({ cfilesystem_clone_file(descriptor.rawValue, source.descriptor.rawValue) }) {
    case .success: return true
    case .failure(let code) where Self.kernelCannotCopy(code): return false
    case .failure(let code): throw .failed(operation: "clone \(source.path)", path: path, errno: code)
    }
  }

  /// The file system's block size: the unit of sharing (`fstatfs`'s `f_bsize`).
  public func blockSize() throws(FileSystemError) -> Int {
    try FileSystemInfo.blockSize(of: descriptor, path: path)
  }

  /// Flushes the data to the disk.
  public func synchronize() throws(FileSystemError) {
    switch SystemCall.retrying({ fsync(descriptor.rawValue) }) {
    case .success: return
    case .failure(let code): throw .failed(operation: "fsync", path: path, errno: code)
    }
  }

  /// Closes the file, reporting a failure (which can be a delayed write error).
  public consuming func close() throws(FileSystemError) {
    isClosed = true
    do {
      try SystemCall.converting { try descriptor.close() }
    } catch {
      throw .failed(operation: "close", path: path, errno: error)
    }
  }

  deinit {
    if !isClosed { try? descriptor.close() }
  }
}

import SystemPackage

/// A file open read-only (close-on-exec), closed when the value is destroyed.
public struct InputFile: ~Copyable, Sendable {
  /// The open descriptor.
  public let descriptor: FileDescriptor
  /// The path it was opened with, for messages.
  public let path: FilePath

  /// Opens the file at `path` read-only.
  ///
  /// - Throws: ``FileSystemError/failed(operation:path:errno:)`` (`ENOENT` when there is nothing there).
  public init(path: FilePath) throws(FileSystemError) {
    descriptor = try SystemCall.open(path, .readOnly, operation: "open")
    self.path = path
  }

  /// The status of the open file.
  public func status() throws(FileSystemError) -> FileStatus {
    try descriptor.status(path: path)
  }

  /// Reads the whole file.
  ///
  /// - Complexity: O(*n*) in the size of the file; one allocation of that size.
  public func readAll() throws(FileSystemError) -> [UInt8] {
    let status = try status()
    if status.kind == .directory {
      throw .failed(operation: "read", path: path, errno: .isDirectory)
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(Int(max(status.size, 0)))
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count: Int
      do {
        count = try SystemCall.converting { try chunk.withUnsafeMutableBytes { try descriptor.read(into: $0) } }
      } catch {
        throw .failed(operation: "read", path: path, errno: error)
      }
      if count == 0 { return bytes }
      bytes.append(contentsOf: chunk[0..<count])
    }
  }

  /// Reads up to `buffer.count` bytes at the file's current position (for a pipe, such as standard
  /// input); returns how many were read (0 at the end).
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(FileSystemError) -> Int {
    do {
      return try SystemCall.converting { try descriptor.read(into: buffer) }
    } catch {
      throw .failed(operation: "read", path: path, errno: error)
    }
  }

  /// Reads up to `buffer.count` bytes at `offset`; returns how many were read (0 at the end).
  public func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(FileSystemError) -> Int {
    do {
      return try SystemCall.converting { try descriptor.read(fromAbsoluteOffset: offset, into: buffer) }
    } catch {
      throw .failed(operation: "read", path: path, errno: error)
    }
  }

  deinit { try? descriptor.close() }
}

import Glibc
import SystemPackage

/// The one place where a failed system call's `errno` is read and `EINTR` is retried.
///
/// Every wrapper of the file-system layer calls the C function through ``retrying(_:)`` (or, for
/// swift-system's own calls, ``converting(_:)``), so no other file handles `errno` or loops on
/// `EINTR`.
enum SystemCall {
  /// Calls `body` until it does not fail with `EINTR`; a result of -1 is a failure whose code is
  /// read from `errno`.
  @inline(__always)
  static func retrying<Result: FixedWidthInteger>(_ body: () -> Result) -> Swift.Result<Result, Errno> {
    while true {
      let value = body()
      if value != -1 { return .success(value) }
      let code = Errno(rawValue: errno)
      if code != .interrupted { return .failure(code) }
    }
  }

  /// The `errno` left by the last failed call (for calls whose failure is not -1, such as `mmap`).
  static var lastError: Errno { Errno(rawValue: errno) }

  /// Opens `path` (close-on-exec is added to `options`); a failure is a
  /// ``FileSystemError/failed(operation:path:errno:)`` naming `operation`.
  static func open(
    _ path: FilePath, _ mode: FileDescriptor.AccessMode, options: FileDescriptor.OpenOptions = [],
    permissions: FilePermissions? = nil, operation: String
  ) throws(FileSystemError) -> FileDescriptor {
    do {
      return try converting {
        try FileDescriptor.open(path, mode, options: options.union(.closeOnExec), permissions: permissions)
      }
    } catch {
      throw .failed(operation: operation, path: path, errno: error)
    }
  }

  /// Calls a swift-system function, whose errors are always `Errno`, with a typed throw.
  @inline(__always)
  static func converting<Result>(_ body: () throws -> Result) throws(Errno) -> Result {
    do {
      return try body()
    } catch let error as Errno {
      throw error
    } catch {
      throw Errno.ioError
    }
  }
}

extension Result where Failure == Errno {
  /// The value, or a ``FileSystemError`` naming the operation and the file.
  @inline(__always)
  func get(_ operation: @autoclosure () -> String, path: @autoclosure () -> FilePath) throws(FileSystemError)
    -> Success
  {
    switch self {
    case .success(let value): return value
    case .failure(let code): throw .failed(operation: operation(), path: path(), errno: code)
    }
  }
}

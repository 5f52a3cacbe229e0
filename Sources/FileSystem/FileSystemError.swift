import SystemPackage

/// Everything that can go wrong in the file-system layer. Each case names the file;
/// ``description`` is one line, `"<path>: <what is wrong>"`.
public enum FileSystemError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A system call failed: `"<path>: <operation> failed: No space left on device (ENOSPC)"`.
  case failed(operation: String, path: FilePath, errno: Errno)
  /// A file ended before the byte range being copied from it did: it was truncated while in use.
  case truncated(path: FilePath, expectedEnd: Int64, size: Int64)

  /// The file the error is about.
  public var path: FilePath {
    switch self {
    case .failed(_, let path, _), .truncated(let path, _, _): path
    }
  }

  /// The `errno` of a failed system call (`nil` for ``truncated(path:expectedEnd:size:)``).
  public var errno: Errno? {
    if case .failed(_, _, let code) = self { return code }
    return nil
  }

  /// What is wrong, without the path.
  public var problem: String {
    switch self {
    case .failed(let operation, _, let code): "\(operation) failed: \(code.readableDescription)"
    case .truncated(_, let expectedEnd, let size):
      "file is truncated: tensor data ends at byte \(expectedEnd) but the file has \(size) bytes"
    }
  }

  public var description: String { "\(path): \(problem)" }
}

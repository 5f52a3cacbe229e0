import SystemPackage

/// What makes two paths the same file: the device and the inode.
public struct FileIdentity: Hashable, Sendable {
  /// The device holding the file.
  public var device: UInt64
  /// The file's inode on that device.
  public var inode: UInt64
}

/// The facts of a file the tool acts on, from `stat`.
public struct FileStatus: Sendable, Equatable {
  /// The kind of file.
  public enum Kind: Sendable, Equatable {
    case regular, directory, symbolicLink, other
  }

  /// The kind of file.
  public var kind: Kind
  /// The size in bytes.
  public var size: Int64
  /// The device and inode.
  public var identity: FileIdentity

  init(_ stat: Stat) {
    switch stat.type {
    case .regular: kind = .regular
    case .directory: kind = .directory
    case .symbolicLink: kind = .symbolicLink
    default: kind = .other
    }
    size = stat.size
    identity = FileIdentity(device: UInt64(stat.deviceID.rawValue), inode: UInt64(stat.inode.rawValue))
  }
}

extension FilePath {
  /// The status of the file at this path, following a final symbolic link unless
  /// `followingLinks` is false; `nil` when there is nothing there (or it cannot be reached).
  public func status(followingLinks: Bool = true) -> FileStatus? {
    guard let stat = try? self.stat(followTargetSymlink: followingLinks) else { return nil }
    return FileStatus(stat)
  }

  /// Whether something exists at this path (a dangling symbolic link counts).
  public var exists: Bool { status(followingLinks: false) != nil }

  /// Whether this path leads to a folder (following symbolic links).
  public var isFolder: Bool { status()?.kind == .directory }
}

extension FileDescriptor {
  /// The status of the open file (`fstat`).
  ///
  /// - Parameter path: the file's path, for the error.
  public func status(path: FilePath) throws(FileSystemError) -> FileStatus {
    do {
      return FileStatus(try stat())
    } catch {
      throw .failed(operation: "stat", path: path, errno: error)
    }
  }
}

import Glibc
import SystemPackage

// Whole files and folders: the operations swift-system does not provide, each wrapped once.

extension FilePath {
  /// The whole contents of the file.
  ///
  /// - Complexity: O(*n*) in the size of the file.
  public func readAll() throws(FileSystemError) -> [UInt8] {
    try InputFile(path: self).readAll()
  }

  /// Writes `bytes` to a new file at this path (which must not exist), mode 0666 less the umask.
  public func writeNewFile(_ bytes: [UInt8]) throws(FileSystemError) {
    let output = try OutputFile(creating: self, exclusive: true)
    try output.write(bytes)
    try output.close()
  }

  /// Copies the regular file at this path byte for byte into a new file at `destination` (mode
  /// 0666 less the umask): sharing every block on a copy-on-write file system (`FICLONE`), else in
  /// the kernel (`copy_file_range`), else through a buffer.
  public func copyFile(to destination: FilePath) throws(FileSystemError) {
    let input = try InputFile(path: self)
    let size = try input.status().size
    let output = try OutputFile(creating: destination, exclusive: true)
    if size > 0, try !output.cloneWhole(from: input) {
      try output.copy(from: input, range: 0..<size)
    }
    try output.close()
  }

  /// Makes `link` a new hard link to the file at this path (both must be on one file system).
  public func hardLink(at link: FilePath) throws(FileSystemError) {
    switch SystemCall.retrying({ Glibc.link(string, link.string) }) {
    case .success: return
    case .failure(let code): throw .failed(operation: "link to \(string)", path: link, errno: code)
    }
  }

  /// Creates a folder at this path with mode 0777 less the umask.
  public func makeFolder() throws(FileSystemError) {
    switch SystemCall.retrying({ mkdir(string, 0o777) }) {
    case .success: return
    case .failure(let code): throw .failed(operation: "create folder", path: self, errno: code)
    }
  }

  /// Renames this path to `destination`, replacing a file there.
  public func rename(to destination: FilePath) throws(FileSystemError) {
    switch SystemCall.retrying({ Glibc.rename(string, destination.string) }) {
    case .success: return
    case .failure(let code): throw .failed(operation: "rename", path: destination, errno: code)
    }
  }

  /// The names in the folder at this path, sorted by their bytes, without `.` and `..`.
  public func folderEntries() throws(FileSystemError) -> [String] {
    guard let directory = opendir(string) else {
      throw .failed(operation: "open folder", path: self, errno: SystemCall.lastError)
    }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafePointer(to: entry.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
  }

  /// Removes the file, or the folder and everything in it, at this path; errors are ignored
  /// (for clean-up). A symbolic link is removed, not followed.
  public func removeTree() {
    guard let status = status(followingLinks: false) else { return }
    if status.kind == .directory {
      for name in (try? folderEntries()) ?? [] { appending(name).removeTree() }
      _ = SystemCall.retrying { rmdir(string) }
    } else {
      _ = SystemCall.retrying { unlink(string) }
    }
  }

  /// Removes the file at this path when it is a regular file (never a device or a folder).
  public func removeRegularFile() {
    guard status(followingLinks: false)?.kind == .regular else { return }
    _ = SystemCall.retrying { unlink(string) }
  }

  /// The canonical absolute form of this existing path (symbolic links resolved), or `nil`.
  public var canonical: FilePath? {
    guard let resolved = realpath(string, nil) else { return nil }
    defer { free(resolved) }
    return FilePath(String(cString: resolved))
  }

  /// The canonical form of a path that may not exist yet: its folder resolved, its name kept.
  public var canonicalForNewFile: FilePath {
    if let resolved = canonical { return resolved }
    let folder = self.folder
    return (folder.canonical ?? folder).appending(name)
  }
}

import CEmbSurgerySystem
import StrictJSON

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Small, checked wrappers over the POSIX calls the engine needs for whole files and folders.
enum FileAccess {
  /// The text of `strerror` for an `errno` value, with its symbolic name for the common ones.
  static func errorText(_ code: Int32) -> String {
    let name: String
    switch code {
    case ENOSPC: name = "ENOSPC"
    case EACCES: name = "EACCES"
    case EROFS: name = "EROFS"
    case ENOENT: name = "ENOENT"
    case EEXIST: name = "EEXIST"
    case EIO: name = "EIO"
    case EDQUOT: name = "EDQUOT"
    case ENOTDIR: name = "ENOTDIR"
    case EISDIR: name = "EISDIR"
    default: name = "errno \(code)"
    }
    return "\(String(cString: strerror(code))) (\(name))"
  }

  /// The whole contents of a file.
  static func readAll(_ path: String) throws(SurgeryError) -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw .io(path: path, operation: "open", code: errno) }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else { throw .io(path: path, operation: "stat", code: errno) }
    if (info.st_mode & S_IFMT) == S_IFDIR { throw .io(path: path, operation: "read", code: EISDIR) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(Int(info.st_size))
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 {
        if errno == EINTR { continue }
        throw .io(path: path, operation: "read", code: errno)
      }
      if count == 0 { break }
      bytes.append(contentsOf: chunk[0..<count])
    }
    return bytes
  }

  /// The bytes of a JSON file and their parsed value; invalid JSON is an error naming the file.
  static func readJSON(_ path: String) throws(SurgeryError) -> (bytes: [UInt8], value: JSONValue) {
    let bytes = try readAll(path)
    return (bytes, try parseJSON(bytes, path: path))
  }

  /// Parses `bytes` read from `path`; invalid JSON is an error naming the file.
  static func parseJSON(_ bytes: [UInt8], path: String) throws(SurgeryError) -> JSONValue {
    do {
      return try JSONParser.parse(bytes)
    } catch {
      throw .invalidJSON(path: path, error)
    }
  }

  /// Writes `bytes` to a new file at `path` (which must not exist), mode 0666 less the umask.
  static func writeNew(_ path: String, _ bytes: [UInt8]) throws(SurgeryError) {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard descriptor >= 0 else { throw .io(path: path, operation: "create", code: errno) }
    var written = 0
    while written < bytes.count {
      let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
      if count < 0 {
        if errno == EINTR { continue }
        let code = errno
        close(descriptor)
        throw .io(path: path, operation: "write", code: code)
      }
      written += count
    }
    if close(descriptor) != 0 { throw .io(path: path, operation: "close", code: errno) }
  }

  /// Copies a regular file byte for byte into a new file, in the kernel where it can
  /// (`copy_file_range`), else through a buffer. The copy gets mode 0666 less the umask.
  static func copyFile(from source: String, to destination: String) throws(SurgeryError) {
    let input = open(source, O_RDONLY | O_CLOEXEC)
    guard input >= 0 else { throw .io(path: source, operation: "open", code: errno) }
    defer { close(input) }
    var info = stat()
    guard fstat(input, &info) == 0 else { throw .io(path: source, operation: "stat", code: errno) }
    let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard output >= 0 else { throw .io(path: destination, operation: "create", code: errno) }
    var remaining = Int(info.st_size)
    var useKernelCopy = true
    var buffer: [UInt8] = []
    while remaining > 0 {
      if useKernelCopy {
        let count = csystem_copy_file_range(input, nil, output, nil, min(remaining, 1 << 30))
        if count > 0 {
          remaining -= count
          continue
        }
        if count < 0, errno == EINTR { continue }
        if count < 0, [EXDEV, EINVAL, ENOSYS, EOPNOTSUPP, EBADF].contains(errno) || count == 0 {
          useKernelCopy = false
          buffer = [UInt8](repeating: 0, count: 1 << 20)
          continue
        }
        let code = errno
        close(output)
        throw .io(path: destination, operation: "copy", code: code)
      }
      let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, min($0.count, remaining)) }
      if count < 0, errno == EINTR { continue }
      guard count > 0 else {
        let code = count == 0 ? EIO : errno
        close(output)
        throw .io(path: source, operation: "read", code: code)
      }
      var written = 0
      while written < count {
        let step = buffer[written..<count].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
        if step < 0, errno == EINTR { continue }
        guard step > 0 else {
          let code = errno
          close(output)
          throw .io(path: destination, operation: "write", code: code)
        }
        written += step
      }
      remaining -= count
    }
    if close(output) != 0 { throw .io(path: destination, operation: "close", code: errno) }
  }

  /// Whether something exists at `path` (without following a final symbolic link).
  static func exists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
  }

  /// Whether `path` is a folder (following symbolic links).
  static func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
  }

  /// The names in a folder, sorted by their bytes, without `.` and `..`.
  static func contents(of folder: String) throws(SurgeryError) -> [String] {
    guard let directory = opendir(folder) else {
      throw .io(path: folder, operation: "open folder", code: errno)
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

  /// Creates a folder with mode 0777 less the umask.
  static func makeDirectory(_ path: String) throws(SurgeryError) {
    guard mkdir(path, 0o777) == 0 else { throw .io(path: path, operation: "create folder", code: errno) }
  }

  /// Renames `source` to `destination`, replacing a file there.
  static func rename(_ source: String, to destination: String) throws(SurgeryError) {
    guard Glibc.rename(source, destination) == 0 else {
      throw .io(path: destination, operation: "rename", code: errno)
    }
  }

  /// Removes a file or a folder tree; errors are ignored (used for clean-up).
  static func removeTree(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if (info.st_mode & S_IFMT) == S_IFDIR {
      for name in (try? contents(of: path)) ?? [] { removeTree(path + "/" + name) }
      rmdir(path)
    } else {
      unlink(path)
    }
  }

  /// The canonical absolute form of an existing path (symbolic links resolved).
  static func canonicalPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }
}

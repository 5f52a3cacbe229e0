#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A whole file mapped read-only into memory, unmapped when the value is destroyed.
///
/// The bytes are only valid inside ``withUnsafeBytes(_:)``. If another process truncates the
/// file while it is mapped, touching the lost pages raises `SIGBUS` (as with any mapping); the
/// mapping is recorded in ``MappedRegions`` so that a handler can name the file.
public struct MappedFile: ~Copyable, @unchecked Sendable {
  private let base: UnsafeMutableRawPointer?
  /// The mapping's slot in ``MappedRegions``.
  private let regionSlot: Int?
  /// The size of the file in bytes.
  public let count: Int

  /// Maps the regular file at `path`.
  ///
  /// - Throws: ``SafeTensorsError/notFound(path:)`` or ``SafeTensorsError/io(path:operation:errno:)``.
  public init(path: String) throws(SafeTensorsError) {
    let descriptor = try POSIXFile.openForReading(path)
    defer { _ = close(descriptor) }
    try self.init(descriptor: descriptor, path: path)
  }

  /// Maps the regular file open as `descriptor` (which the caller keeps and closes).
  init(descriptor: Int32, path: String) throws(SafeTensorsError) {
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      throw .io(path: path, operation: "fstat", errno: errno)
    }
    guard (status.st_mode & S_IFMT) == S_IFREG else {
      throw .io(
        path: path, operation: "open",
        errno: (status.st_mode & S_IFMT) == S_IFDIR ? EISDIR : EINVAL)
    }
    let size = Int(status.st_size)
    var address: UnsafeMutableRawPointer? = nil
    if size > 0 {
      let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
      guard let mapped, mapped != UnsafeMutableRawPointer(bitPattern: -1) else {
        throw .io(path: path, operation: "mmap", errno: errno)
      }
      address = mapped
    }
    regionSlot = address.flatMap { MappedRegions.register(base: $0, count: size, path: path) }
    base = address
    count = size
  }

  /// Calls `body` with the mapped bytes (empty for an empty file).
  public func withUnsafeBytes<R, E: Error>(
    _ body: (UnsafeRawBufferPointer) throws(E) -> R
  ) throws(E) -> R {
    try body(UnsafeRawBufferPointer(start: base, count: count))
  }

  /// Tells the kernel that the pages entirely inside `range` will not be needed soon
  /// (`madvise(MADV_DONTNEED)`), so that streaming through a large file does not keep it resident.
  /// The bytes stay readable: they are read again from the file when touched.
  public func releasePages(in range: Range<Int>) {
    guard let base else { return }
    let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    let lower = max(range.lowerBound, 0)
    let upper = min(range.upperBound, count)
    guard pageSize > 0, lower < upper else { return }
    let first = (lower + pageSize - 1) / pageSize * pageSize
    let last = upper == count ? (upper + pageSize - 1) / pageSize * pageSize : upper / pageSize * pageSize
    guard first < last else { return }
    _ = madvise(base + first, last - first, Int32(MADV_DONTNEED))
  }

  deinit {
    if let regionSlot { MappedRegions.unregister(regionSlot) }
    if let base { _ = munmap(base, count) }
  }
}

/// Small wrappers over POSIX calls that turn failures into ``SafeTensorsError``s.
enum POSIXFile {
  /// Opens `path` read-only (close-on-exec).
  static func openForReading(_ path: String) throws(SafeTensorsError) -> Int32 {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
      let code = errno
      throw code == ENOENT ? .notFound(path: path) : .io(path: path, operation: "open", errno: code)
    }
    return descriptor
  }

  /// The device and inode of an open file.
  static func identity(of descriptor: Int32) -> FileIdentity? {
    var status = stat()
    guard fstat(descriptor, &status) == 0 else { return nil }
    return FileIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
  }

  /// The device and inode of the file at `path`, or `nil` when there is none.
  static func identity(ofPath path: String) -> FileIdentity? {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    return FileIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
  }
}

/// What makes two paths the same file.
struct FileIdentity: Hashable, Sendable {
  var device: UInt64
  var inode: UInt64
}

import Glibc
import SystemPackage

/// A whole regular file mapped read-only into memory, unmapped when the value is destroyed: the
/// one owner of `mmap`, `madvise` and `munmap`.
///
/// The bytes are only valid inside ``withUnsafeBytes(_:)``. If another process truncates the
/// file while it is mapped, touching the lost pages raises `SIGBUS` (as with any mapping); the
/// mapping is recorded in ``MappedRegions`` so that a handler can name the file.
public struct MappedRegion: ~Copyable, @unchecked Sendable {
  private let base: UnsafeMutableRawPointer?
  /// The mapping's slot in ``MappedRegions``.
  private let regionSlot: Int?
  /// The size of the file in bytes.
  public let count: Int

  /// Maps the regular file open as `file` (which may be closed afterwards).
  ///
  /// - Throws: ``FileSystemError/failed(operation:path:errno:)``: `EISDIR` for a folder,
  ///   `EINVAL` for anything else that is not a regular file, or the failure of `mmap`.
  public init(file: borrowing InputFile) throws(FileSystemError) {
    let status = try file.status()
    guard status.kind == .regular else {
      throw .failed(
        operation: "open", path: file.path, errno: status.kind == .directory ? .isDirectory : .invalidArgument)
    }
    let size = Int(status.size)
    var address: UnsafeMutableRawPointer? = nil
    if size > 0 {
      let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, file.descriptor.rawValue, 0)
      guard let mapped, mapped != MAP_FAILED else {
        throw .failed(operation: "mmap", path: file.path, errno: SystemCall.lastError)
      }
      address = mapped
    }
    regionSlot = address.flatMap { MappedRegions.register(base: $0, count: size, path: file.path.string) }
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
    let pageSize = Self.pageSize
    let lower = max(range.lowerBound, 0)
    let upper = min(range.upperBound, count)
    guard lower < upper else { return }
    let first = (lower + pageSize - 1) / pageSize * pageSize
    let last = upper == count ? (upper + pageSize - 1) / pageSize * pageSize : upper / pageSize * pageSize
    guard first < last else { return }
    _ = madvise(base + first, last - first, Int32(MADV_DONTNEED))
  }

  /// The size of a memory page.
  public static let pageSize = max(Int(sysconf(Int32(_SC_PAGESIZE))), 1)

  deinit {
    if let regionSlot { MappedRegions.unregister(regionSlot) }
    if let base { _ = munmap(base, count) }
  }
}

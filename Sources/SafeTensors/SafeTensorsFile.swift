#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A safetensors file, mapped read-only and validated when opened.
///
/// It keeps a read-only descriptor open for the life of the object, so that the writer can copy
/// tensor data in the kernel (`copy_file_range`) and can tell when it is asked to overwrite it.
public final class SafeTensorsFile: Sendable {
  /// The path the file was opened with.
  public let path: String
  /// The validated header.
  public let header: SafeTensorsHeader
  private let mapping: MappedFile
  /// The open read-only descriptor.
  let descriptor: Int32
  /// The device and inode of the file.
  let identity: FileIdentity?

  /// Opens, maps and validates the file at `path` (see ``SafeTensorsHeader/init(parsing:path:)``).
  ///
  /// - Throws: the first problem found, as a ``SafeTensorsError``.
  /// - Complexity: O(header size); the data is not read.
  public init(path: String) throws(SafeTensorsError) {
    let descriptor = try POSIXFile.openForReading(path)
    do throws(SafeTensorsError) {
      let mapping = try MappedFile(descriptor: descriptor, path: path)
      header = try mapping.withUnsafeBytes { (bytes) throws(SafeTensorsError) in
        try SafeTensorsHeader(parsing: bytes, path: path)
      }
      self.mapping = mapping
    } catch {
      _ = close(descriptor)
      throw error
    }
    self.path = path
    self.descriptor = descriptor
    identity = POSIXFile.identity(of: descriptor)
  }

  deinit { _ = close(descriptor) }

  /// The size of the file in bytes.
  public var size: Int { mapping.count }

  /// Calls `body` with the bytes of `absoluteRange` of the file.
  ///
  /// - Precondition: `absoluteRange` lies within the file.
  public func withBytes<R, E: Error>(
    in absoluteRange: Range<Int>, _ body: (UnsafeRawBufferPointer) throws(E) -> R
  ) throws(E) -> R {
    try mapping.withUnsafeBytes { (bytes) throws(E) -> R in
      precondition(
        absoluteRange.lowerBound >= 0 && absoluteRange.upperBound <= bytes.count,
        "byte range outside the file")
      return try body(UnsafeRawBufferPointer(rebasing: bytes[absoluteRange]))
    }
  }

  /// Calls `body` with the data of `tensor` (an entry of this file's header). The bytes may be
  /// unaligned: read them with `loadUnaligned`.
  public func withData<R, E: Error>(
    of tensor: TensorInfo, _ body: (UnsafeRawBufferPointer) throws(E) -> R
  ) throws(E) -> R {
    try withBytes(in: absoluteRange(of: tensor), body)
  }

  /// The absolute byte range of `tensor`'s data in the file.
  public func absoluteRange(of tensor: TensorInfo) -> Range<Int> {
    (header.dataStart + tensor.dataOffsets.lowerBound)..<(header.dataStart + tensor.dataOffsets.upperBound)
  }

  /// Lets the kernel drop the resident pages inside `absoluteRange` (see ``MappedFile/releasePages(in:)``).
  public func releasePages(in absoluteRange: Range<Int>) {
    mapping.releasePages(in: absoluteRange)
  }
}

import FileSystem
import SystemPackage

/// A safetensors file, mapped read-only and validated when opened.
///
/// It keeps a read-only descriptor open for the life of the object, so that the writer can copy
/// tensor data in the kernel (`copy_file_range`, block sharing) and can tell when it is asked to
/// overwrite it.
public final class SafeTensorsFile: Sendable {
  /// The path the file was opened with.
  public let path: FilePath
  /// The validated header.
  public let header: SafeTensorsHeader
  private let mapping: MappedRegion
  /// The open read-only file.
  package let input: InputFile
  /// The device and inode of the file.
  package let identity: FileIdentity

  /// Opens, maps and validates the file at `path` (see ``SafeTensorsHeader/init(parsing:path:)``).
  ///
  /// - Throws: the first problem found, as a ``SafeTensorsError``.
  /// - Complexity: O(header size); the data is not read.
  public init(path: FilePath) throws(SafeTensorsError) {
    let input = try fileSystem { () throws(FileSystemError) in try InputFile(path: path) }
    identity = try fileSystem { () throws(FileSystemError) in try input.status().identity }
    let mapping = try fileSystem { () throws(FileSystemError) in try MappedRegion(file: input) }
    header = try mapping.withUnsafeBytes { (bytes) throws(SafeTensorsError) in
      try SafeTensorsHeader(parsing: bytes, path: path)
    }
    self.input = input
    self.mapping = mapping
    self.path = path
  }

  /// The size of the file in bytes.
  public var size: Int { mapping.count }

  /// Calls `body` with the bytes of `absoluteRange` of the file.
  ///
  /// - Precondition: `absoluteRange` lies within the file.
  package func withBytes<R, E: Error>(
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
  package func withData<R, E: Error>(
    of tensor: TensorInfo, _ body: (UnsafeRawBufferPointer) throws(E) -> R
  ) throws(E) -> R {
    try withBytes(in: absoluteRange(of: tensor), body)
  }

  /// A copy of the data of `tensor` (an entry of this file's header), little-endian as stored.
  ///
  /// - Complexity: O(*n*) in the tensor's size.
  public func data(of tensor: TensorInfo) -> [UInt8] {
    withData(of: tensor) { Array($0) }
  }

  /// The absolute byte range of `tensor`'s data in the file.
  public func absoluteRange(of tensor: TensorInfo) -> Range<Int> {
    (header.dataStart + tensor.dataOffsets.lowerBound)..<(header.dataStart + tensor.dataOffsets.upperBound)
  }

  /// The bytes of `absoluteRange`, read with `pread` rather than through the mapping: for a few
  /// scattered rows, reading keeps nothing resident (touching the mapping would map in the pages
  /// around each row, several times its size).
  ///
  /// - Throws: ``SafeTensorsError`` when the file cannot be read or ends before the range does.
  public func read(_ absoluteRange: Range<Int>) throws(SafeTensorsError) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: absoluteRange.count)
    var done = 0
    while done < bytes.count {
      let start = absoluteRange.lowerBound + done
      let result = bytes.withUnsafeMutableBytes { buffer in
        let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[done...])
        return Result { () throws(FileSystemError) in try input.read(at: Int64(start), into: rest) }
      }
      let count = try fileSystem { () throws(FileSystemError) in try result.get() }
      guard count > 0 else {
        throw .truncated(path: path, dataEnd: UInt64(absoluteRange.upperBound), fileSize: size)
      }
      done += count
    }
    return bytes
  }

  /// Lets the kernel drop the resident pages inside `absoluteRange` (see ``MappedRegion/releasePages(in:)``).
  package func releasePages(in absoluteRange: Range<Int>) {
    mapping.releasePages(in: absoluteRange)
  }
}

import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A copy-on-write file system (XFS with reflink, or btrfs) in a sparse image file, attached to a
/// loop device and mounted on a scratch folder for the life of the value; unmounted, detached and
/// removed by ``unmount()`` or on release. Needs root (the tests run as root in CI); installs
/// `xfsprogs` or `btrfs-progs` with apt-get when `mkfs` is missing. Anything that fails throws:
/// the tests that need a file system fail rather than skip.
public final class LoopFileSystem: @unchecked Sendable {
  /// The file systems that can share blocks between files.
  public enum Kind: String, Sendable, CaseIterable, CustomStringConvertible {
    case xfs, btrfs

    public var description: String { rawValue }

    /// The smallest image `mkfs` accepts, in MiB.
    var minimumMegabytes: Int {
      switch self {
      case .xfs: 320
      case .btrfs: 128
      }
    }

    var mkfs: (program: String, arguments: [String], package: String) {
      switch self {
      case .xfs: ("/usr/sbin/mkfs.xfs", ["-q", "-m", "reflink=1"], "xfsprogs")
      case .btrfs: ("/usr/sbin/mkfs.btrfs", ["-q"], "btrfs-progs")
      }
    }
  }

  public let kind: Kind
  /// The mounted file system's root.
  public let root: URL
  /// The image file.
  public let image: URL
  /// The loop device the image is attached to, while it is.
  public private(set) var device: String?
  private let scratch: ScratchDirectory
  private var isMounted = false

  /// Creates an image of `megabytes` MiB (at least the minimum `mkfs` accepts: 320 for XFS, 128
  /// for btrfs), makes the file system in it, attaches it (`losetup`) and mounts it.
  public init(_ kind: Kind, megabytes: Int) throws {
    self.kind = kind
    scratch = try ScratchDirectory()
    image = scratch.path("\(kind).img")
    root = scratch.path("mount")
    let mkfs = kind.mkfs
    if !FileManager.default.isExecutableFile(atPath: mkfs.program) {
      try LoopFileSystem.install(mkfs.package)
    }
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    guard FileManager.default.createFile(atPath: image.path, contents: nil) else {
      throw TestEnvironment.Missing(description: "cannot create \(image.path)")
    }
    guard truncate(image.path, off_t(max(megabytes, kind.minimumMegabytes)) << 20) == 0 else {
      throw TestEnvironment.Missing(description: "cannot size \(image.path): errno \(errno)")
    }
    try LoopFileSystem.run(mkfs.program, mkfs.arguments + [image.path])
    let attached = try LoopFileSystem.run("/usr/sbin/losetup", ["--find", "--show", image.path])
    let device = String(decoding: attached, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    self.device = device
    do {
      try LoopFileSystem.run("/usr/bin/mount", ["-t", kind.rawValue, device, root.path])
    } catch {
      _ = try? LoopFileSystem.run("/usr/sbin/losetup", ["--detach", device])
      self.device = nil
      throw error
    }
    isMounted = true
  }

  /// Unmounts the file system and detaches the loop device (the image goes with the value).
  /// Calling it again does nothing.
  public func unmount() throws {
    if isMounted {
      try LoopFileSystem.run("/usr/bin/umount", [root.path])
      isMounted = false
    }
    if let device {
      try LoopFileSystem.run("/usr/sbin/losetup", ["--detach", device])
      self.device = nil
    }
  }

  deinit {
    if isMounted { _ = try? LoopFileSystem.run("/usr/bin/umount", ["--lazy", root.path]) }
    if let device { _ = try? LoopFileSystem.run("/usr/sbin/losetup", ["--detach", device]) }
  }

  /// A path inside the file system.
  public func path(_ name: String) -> URL { root.appendingPathComponent(name) }

  /// The file system's block size (`statvfs`'s `f_bsize`).
  public func blockSize() throws -> Int {
    Int(try status().f_bsize)
  }

  /// The bytes in use, after `sync`: what a command added is the difference before and after it.
  public func usedBytes() throws -> Int {
    sync()
    let status = try status()
    return Int(status.f_blocks - status.f_bfree) * Int(status.f_frsize)
  }

  private func status() throws -> statvfs {
    var status = statvfs()
    guard statvfs(root.path, &status) == 0 else {
      throw TestEnvironment.Missing(description: "statvfs \(root.path): errno \(errno)")
    }
    return status
  }

  /// Installs a Debian package (apt-get; `apt-get update` first when the package is unknown).
  static func install(_ package: String) throws {
    let environment = ["/usr/bin/env", "DEBIAN_FRONTEND=noninteractive", "/usr/bin/apt-get"]
    if (try? run(environment[0], Array(environment.dropFirst()) + ["install", "-y", "-qq", package])) == nil {
      try run(environment[0], Array(environment.dropFirst()) + ["update", "-qq"])
      try run(environment[0], Array(environment.dropFirst()) + ["install", "-y", "-qq", package])
    }
  }

  @discardableResult
  static func run(_ program: String, _ arguments: [String]) throws -> Data {
    let result = try TestEnvironment.execute(program, arguments)
    guard result.status == 0 else {
      throw TestEnvironment.Missing(
        description: "\(program) \(arguments.joined(separator: " ")) exited with \(result.status) "
          + "(loop-mounted file systems need root): \(result.stderr)")
    }
    return result.standardOutput
  }
}

/// What a copy-on-write file system says about a file's blocks, and the two ways to share them.
public enum SharedExtents {
  /// The bytes of the file at `path` that lie in extents the file system marks as shared with
  /// another file (`FS_IOC_FIEMAP`, `FIEMAP_EXTENT_SHARED`), after flushing it.
  public static func sharedBytes(of path: String) throws -> Int {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { throw failure("open \(path)") }
    defer { close(descriptor) }
    let extentsPerCall = 512
    let headerSize = 32
    let extentSize = 56
    var buffer = [UInt64](repeating: 0, count: (headerSize + extentsPerCall * extentSize) / 8)
    var start: UInt64 = 0
    var shared = 0
    while true {
      let (mapped, last, next, bytes) = try buffer.withUnsafeMutableBytes { raw in
        raw.initializeMemory(as: UInt8.self, repeating: 0)
        raw.storeBytes(of: start, toByteOffset: 0, as: UInt64.self)  // fm_start
        raw.storeBytes(of: UInt64.max - start, toByteOffset: 8, as: UInt64.self)  // fm_length
        raw.storeBytes(of: UInt32(1), toByteOffset: 16, as: UInt32.self)  // FIEMAP_FLAG_SYNC
        raw.storeBytes(of: UInt32(extentsPerCall), toByteOffset: 24, as: UInt32.self)  // fm_extent_count
        guard ioctl(descriptor, 0xC020_660B, raw.baseAddress!) == 0 else {  // FS_IOC_FIEMAP
          throw failure("FS_IOC_FIEMAP on \(path)")
        }
        let mapped = Int(raw.load(fromByteOffset: 20, as: UInt32.self))
        var last = false
        var next = start
        var bytes = 0
        for index in 0..<mapped {
          let extent = headerSize + index * extentSize
          let logical = raw.load(fromByteOffset: extent, as: UInt64.self)
          let length = raw.load(fromByteOffset: extent + 16, as: UInt64.self)
          let flags = raw.load(fromByteOffset: extent + 40, as: UInt32.self)
          if flags & 0x2000 != 0 { bytes += Int(length) }  // FIEMAP_EXTENT_SHARED
          if flags & 0x1 != 0 { last = true }  // FIEMAP_EXTENT_LAST
          next = logical + length
        }
        return (mapped, last, next, bytes)
      }
      shared += bytes
      if mapped == 0 || last { return shared }
      start = next
    }
  }

  /// `copy_file_range(2)` of `count` bytes from `source` at `sourceOffset` to `destination` at
  /// `destinationOffset`, looping until done. On XFS and btrfs the kernel shares the blocks when
  /// both offsets are congruent modulo the block size, and copies them otherwise.
  public static func copyFileRange(
    from source: Int32, at sourceOffset: Int, to destination: Int32, at destinationOffset: Int, count: Int
  ) throws {
    typealias Function =
      @convention(c) (
        Int32, UnsafeMutablePointer<Int64>?, Int32, UnsafeMutablePointer<Int64>?, Int, UInt32
      ) -> Int
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "copy_file_range") else {
      throw TestEnvironment.Missing(description: "copy_file_range is not in the C library")
    }
    let function = unsafeBitCast(symbol, to: Function.self)
    var input = Int64(sourceOffset)
    var output = Int64(destinationOffset)
    var remaining = count
    while remaining > 0 {
      let copied = function(source, &input, destination, &output, remaining, 0)
      guard copied > 0 else { throw failure("copy_file_range") }
      remaining -= copied
    }
  }

  /// `FICLONERANGE`: shares `count` bytes of `source` at `sourceOffset` into `destination` at
  /// `destinationOffset`, or fails (EINVAL) when the offsets are not multiples of the block size,
  /// or the length is not, unless the range ends at the end of the source.
  public static func cloneRange(
    from source: Int32, at sourceOffset: Int, to destination: Int32, at destinationOffset: Int, count: Int
  ) throws {
    var range: (Int64, UInt64, UInt64, UInt64) = (
      Int64(source), UInt64(sourceOffset), UInt64(count), UInt64(destinationOffset)
    )
    let status = withUnsafeMutableBytes(of: &range) { ioctl(destination, 0x4020_940D, $0.baseAddress!) }
    guard status == 0 else { throw failure("FICLONERANGE") }
  }

  /// An error naming the call and errno.
  public struct Failure: Error, CustomStringConvertible {
    public let call: String
    public let errno: Int32

    public init(call: String, errno: Int32) {
      self.call = call
      self.errno = errno
    }

    public var description: String { "\(call): \(String(cString: strerror(errno))) (errno \(errno))" }
  }

  private static func failure(_ call: String) -> Failure { Failure(call: call, errno: errno) }
}

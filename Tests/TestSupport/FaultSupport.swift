import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Helpers for the fault tests: generated checkpoints, size-limited file systems, a running
/// `embsurgery` that can be signalled.
public enum FaultSupport {
  /// Writes a safetensors file holding one F32 tensor `name` of `rows` × `columns`, filled with a
  /// simple pattern (row r, column c holds r + c / 1000).
  public static func writeCheckpoint(
    at url: URL, name: String = "model.embed_tokens.weight", rows: Int, columns: Int
  ) throws {
    let dataSize = rows * columns * 4
    var header = Array(
      "{\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(rows),\(columns)],\"data_offsets\":[0,\(dataSize)]}}".utf8)
    while (8 + header.count) % 8 != 0 { header.append(0x20) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(8 + header.count + dataSize)
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: header)
    for row in 0..<rows {
      for column in 0..<columns {
        let value = Float(row) + Float(column) / 1000
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
      }
    }
    try Data(bytes).write(to: url)
  }

  /// A file system mounted at `folder` for the life of the value (tmpfs, as root); unmounted on
  /// release. Mounting failures throw: the tests that need one fail rather than skip.
  public final class Mount: @unchecked Sendable {
    public let folder: URL

    /// Mounts a tmpfs of `size` (e.g. "200k") at `folder` (created when missing), read-only when asked.
    public init(tmpfsAt folder: URL, size: String, readOnly: Bool = false) throws {
      self.folder = folder
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      let options = "size=\(size),mode=0755" + (readOnly ? ",ro" : "")
      do {
        try TestEnvironment.run("/usr/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", folder.path])
      } catch {
        throw TestEnvironment.Missing(
          description: "cannot mount a tmpfs at \(folder.path) (these tests run as root): \(error)")
      }
    }

    deinit {
      _ = try? TestEnvironment.execute("/usr/bin/umount", ["-l", folder.path])
    }
  }

  /// Creates a FIFO: copying it blocks until someone opens it for writing, which holds a resize
  /// in the middle of writing its output.
  public static func makeFIFO(at url: URL) throws {
    guard mkfifo(url.path, 0o644) == 0 else {
      throw TestEnvironment.ProcessFailed(description: "mkfifo \(url.path): errno \(errno)")
    }
  }

  /// Opens the FIFO for writing and closes it at once, which lets its reader see the end.
  /// Waits (up to 60 s) for a reader to open it.
  public static func release(fifo url: URL) {
    for _ in 0..<6000 {
      let descriptor = open(url.path, O_WRONLY | O_NONBLOCK)
      if descriptor >= 0 {
        close(descriptor)
        return
      }
      usleep(10_000)  // ENXIO: no reader yet.
    }
  }

  /// Opens the FIFO for writing (waiting for its reader), writes `data` and closes it.
  public static func feed(fifo url: URL, with data: Data) throws {
    let handle = try FileHandle(forWritingTo: url)
    try handle.write(contentsOf: data)
    try handle.close()
  }

  /// An `embsurgery` process running in the background.
  public final class RunningCommand: @unchecked Sendable {
    public let process = Process()
    private let errorPipe = Pipe()
    private let outputPipe = Pipe()

    public init(_ arguments: [String]) throws {
      process.executableURL = URL(fileURLWithPath: try TestEnvironment.embsurgeryExecutable())
      process.arguments = arguments
      process.standardError = errorPipe
      process.standardOutput = outputPipe
      process.standardInput = FileHandle.nullDevice
      try process.run()
    }

    public var pid: Int32 { process.processIdentifier }

    /// Sends `signal` to the process.
    public func send(_ signal: Int32) {
      kill(process.processIdentifier, signal)
    }

    /// Waits (up to `timeout` seconds) until `condition` holds; returns whether it did.
    public func wait(timeout: Double = 60, until condition: () -> Bool) -> Bool {
      let deadline = Date().addingTimeInterval(timeout)
      while Date() < deadline {
        if condition() { return true }
        if !process.isRunning { return condition() }
        usleep(10_000)
      }
      return false
    }

    /// Waits for the end and returns the status (128 + n for a signal n) and standard error.
    public func finish() -> (status: Int32, stderr: String) {
      let error = errorPipe.fileHandleForReading.readDataToEndOfFile()
      _ = outputPipe.fileHandleForReading.readDataToEndOfFile()
      process.waitUntilExit()
      let status =
        process.terminationReason == .uncaughtSignal
        ? 128 + process.terminationStatus : process.terminationStatus
      return (status, String(decoding: error, as: UTF8.self))
    }
  }
}

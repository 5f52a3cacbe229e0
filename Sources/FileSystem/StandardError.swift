import Glibc

/// Standard error, written without buffering (safe from a signal-handling thread).
public enum StandardError {
  /// Writes `text` as it is.
  public static func write(_ text: String) {
    var remaining = Array(text.utf8)[...]
    while !remaining.isEmpty {
      let result = remaining.withUnsafeBytes { bytes in
        SystemCall.retrying { Glibc.write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
      }
      guard case .success(let count) = result, count > 0 else { return }
      remaining = remaining.dropFirst(count)
    }
  }

  /// Writes a static message (async-signal-safe: no allocation, no lock).
  static func write(_ message: StaticString) {
    _ = Glibc.write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
  }

  /// Writes a C string (async-signal-safe).
  static func write(cString: UnsafePointer<CChar>) {
    _ = Glibc.write(STDERR_FILENO, cString, strlen(cString))
  }

  /// Whether standard error is a terminal.
  public static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}

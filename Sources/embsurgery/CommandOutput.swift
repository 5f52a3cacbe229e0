import ArgumentParser

#if canImport(Glibc)
  import Glibc
#endif

/// Writing to standard error the way every subcommand does.
enum CommandOutput {
  /// Writes `text` to standard error as it is.
  static func writeError(_ text: String) {
    var remaining = Array(text.utf8)[...]
    while !remaining.isEmpty {
      let count = remaining.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
      if count < 0, errno == EINTR { continue }
      guard count > 0 else { return }
      remaining = remaining.dropFirst(count)
    }
  }

  /// Prints `error: <message>` as one line on standard error and returns exit status 1, for
  /// `throw CommandOutput.failure(...)`.
  static func failure(_ message: String) -> ExitCode {
    writeError("error: " + message.split(whereSeparator: \.isNewline).joined(separator: " ") + "\n")
    return ExitCode(1)
  }
}

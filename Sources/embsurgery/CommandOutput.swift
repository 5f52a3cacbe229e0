import ArgumentParser

#if canImport(Glibc)
  import Glibc
#endif

/// Writing to standard error and ending the process the way every subcommand does on bad input.
enum CommandOutput {
  /// Writes `text` and a newline to standard error.
  static func writeError(_ text: String) {
    var line = text
    line.append("\n")
    line.utf8CString.withUnsafeBufferPointer { buffer in
      _ = fputs(buffer.baseAddress, stderr)
    }
  }

  /// Prints `error: <message>` on standard error and exits with status 1.
  static func fail(_ message: String) -> Never {
    writeError("error: \(message)")
    exit(1)
  }
}

import ArgumentParser
import FileSystem

/// Writing to standard error the way every subcommand does.
enum CommandOutput {
  /// Writes `text` to standard error as it is.
  static func writeError(_ text: String) {
    StandardError.write(text)
  }

  /// Prints `error: <message>` as one line on standard error and returns exit status 1, for
  /// `throw CommandOutput.failure(...)`.
  static func failure(_ message: String) -> ExitCode {
    writeError("error: " + message.split(whereSeparator: \.isNewline).joined(separator: " ") + "\n")
    return ExitCode(1)
  }
}

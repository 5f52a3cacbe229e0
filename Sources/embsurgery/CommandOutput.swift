import ArgumentParser
import EmbeddingSurgery
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

  /// The failure of a surgery: the library's message, with the flag that helps where one does.
  static func failure(_ error: SurgeryError) -> ExitCode {
    failure(message(for: error))
  }

  /// The library's one-line message for `error`, in the command's terms.
  static func message(for error: SurgeryError) -> String {
    switch error {
    case .invalidOutput(let path, .isTheInput): "\(path): is the input itself; use --in-place to replace the input"
    case .invalidOutput(let path, .exists): "\(path): already exists (use --force to replace it)"
    case .ambiguousTensor(_, let role, _):
      error.description + "; choose one with --\(role == .head ? "head" : "embedding")"
    case .embeddingNotFound(_, nil): error.description + " (name it with --embedding)"
    case .invalidOutput(let path, .notOnInputFileSystem(let input)):
      "\(path): is not on the file system of \(input): --link-unchanged needs both on one file system"
    case .missingTokenizer(let path, let use):
      "\(path): \(use == .nearestRule ? "--init nearest" : "trim") needs a tokenizer.json (beside the model or given with --tokenizer)"
    default: error.description
    }
  }
}

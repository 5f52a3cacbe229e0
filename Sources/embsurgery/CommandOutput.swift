import ArgumentParser
import EmbeddingSurgery
import FileSystem
import StrictJSON

/// How every subcommand prints: reports on standard output (JSON or text, from the same value),
/// progress and the one `error:` line on standard error, and under `--json` the error as JSON on
/// standard output too.
enum CommandOutput {
  /// Writes `text` to standard error as it is.
  static func writeError(_ text: String) {
    StandardError.write(text)
  }

  /// Prints `report` on standard output: one line of JSON (`schema_version` first) with `json`,
  /// else `text` (which is rendered from the same report).
  static func print(_ report: some SurgeryReport, json: Bool, text: @autoclosure () -> String) throws {
    if json {
      Swift.print(JSONWriter.string(try report.json))
    } else {
      let text = text()
      if !text.isEmpty { Swift.print(text) }
    }
  }

  /// A failure for `throw CommandOutput.failure(...)`: `main` prints it.
  static func failure(_ error: SurgeryError) -> CommandFailure {
    CommandFailure(kind: error.kind, path: error.path.string, message: message(for: error))
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

/// A command that failed on its input: exit status 1, `error: <message>` on standard error and,
/// under `--json`, an ``ErrorReport`` on standard output.
struct CommandFailure: Error {
  var kind: String
  var path: String?
  var message: String

  /// The report of the failure.
  var report: ErrorReport {
    ErrorReport(ErrorReport.Failure(kind: kind, path: path, message: message))
  }

  /// Prints the failure: the `error:` line on standard error and, with `json`, its report on
  /// standard output.
  func print(json: Bool) {
    CommandOutput.writeError("error: " + message.split(whereSeparator: \.isNewline).joined(separator: " ") + "\n")
    if json, let document = try? report.json { Swift.print(JSONWriter.string(document)) }
  }
}

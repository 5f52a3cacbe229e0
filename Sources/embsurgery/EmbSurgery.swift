import ArgumentParser
import EmbeddingSurgery
import FileSystem
import StrictJSON

/// The `embsurgery` command: surgery on the token-embedding matrices of safetensors checkpoints.
@main
struct EmbSurgery: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "embsurgery",
    abstract:
      "Edit the vocabulary of a safetensors model without loading it: add, trim, extend or transplant tokens, fix untrained rows.",
    version: "0.1.0",
    subcommands: [
      Resize.self, Trim.self, Extend.self, Transplant.self, Inspect.self, Tokenize.self, Audit.self, Diff.self,
      FixUntrained.self,
    ]
  )

  /// Installs the signal handling (clean-up of partial outputs on SIGINT/SIGTERM, a message on
  /// SIGBUS), then runs the command. A failure prints its `error:` line on standard error and,
  /// when `--json` was asked for, its ``ErrorReport`` on standard output (a refused command line
  /// too, as kind `usage`); exit statuses are the argument parser's (1, 64, or what the command
  /// throws).
  static func main() {
    SignalHandling.install()
    let arguments = Array(CommandLine.arguments.dropFirst())
    let json = arguments.prefix { $0 != "--" }.contains("--json")
    do {
      var command = try parseAsRoot(arguments)
      try command.run()
    } catch let failure as CommandFailure {
      failure.print(json: json)
      exit(withError: ExitCode.failure)
    } catch {
      if json, !(error is ExitCode), exitCode(for: error) != .success {
        let message = self.message(for: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let failure = ErrorReport(ErrorReport.Failure(kind: "usage", path: nil, message: message))
        if let document = try? failure.json { print(JSONWriter.string(document)) }
      }
      exit(withError: error)
    }
  }
}

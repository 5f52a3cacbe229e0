import ArgumentParser
import FileSystem

/// The `embsurgery` command: surgery on the token-embedding matrices of safetensors checkpoints.
@main
struct EmbSurgery: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "embsurgery",
    abstract: "Add tokens to a safetensors checkpoint without loading the model.",
    version: "0.1.0",
    subcommands: [
      Resize.self, Trim.self, Transplant.self, Inspect.self, Tokenize.self, Audit.self, Diff.self, FixUntrained.self,
    ]
  )

  /// Installs the signal handling (clean-up of partial outputs on SIGINT/SIGTERM, a message on
  /// SIGBUS), then runs the command.
  static func main() {
    SignalHandling.install()
    main(nil)
  }
}

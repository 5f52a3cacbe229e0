import ArgumentParser

/// `embsurgery diff A B [--json]` (in progress).
struct Diff: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "diff", abstract: "Compare two tokenizers or checkpoints.")
  @Argument var a: String
  @Argument var b: String
  @Flag var json = false
  func run() throws { throw CommandOutput.failure("not implemented") }
}

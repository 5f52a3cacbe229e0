import ArgumentParser

struct Resize: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "resize", abstract: "Not implemented yet.")

  func run() throws {
    throw ValidationError("resize is not implemented yet")
  }
}

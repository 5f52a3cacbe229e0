import ArgumentParser

struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Not implemented yet.")

  func run() throws {
    throw ValidationError("inspect is not implemented yet")
  }
}

import Foundation
import TestSupport
import Testing

/// The README's command list (the synopsis block under `## Commands`) against the executable's
/// help: the same commands, each with the same options and positional arguments, a value where the
/// help shows one, and required where the command requires it.
@Suite struct ReadmeCommandTests {
  /// What a synopsis says of one command, the README's or the help's.
  struct Synopsis: Equatable {
    /// The positional arguments in order, lowercased (`MODEL` and `<model>` are `model`), and
    /// whether each may be left out.
    var positionals: [Positional] = []
    /// The long options (without `--`), whether each takes a value, and whether it is required.
    var options: [String: Option] = [:]

    struct Positional: Equatable, CustomStringConvertible {
      let name: String
      let optional: Bool
      var description: String { optional ? "[\(name)]" : name }
    }

    struct Option: Equatable {
      var takesValue = false
      var required = false
    }
  }

  /// The README's synopsis of each command, in the order listed.
  static func readmeSynopses() throws -> [(command: String, synopsis: Synopsis)] {
    let readme = try String(
      contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
    let section = try #require(readme.range(of: "\n## Commands\n"), "README.md has no '## Commands' section")
    let open = try #require(readme.range(of: "```text\n", range: section.upperBound..<readme.endIndex))
    let close = try #require(readme.range(of: "\n```\n", range: open.upperBound..<readme.endIndex))
    var entries: [String] = []
    for line in readme[open.upperBound..<close.lowerBound].split(separator: "\n") {
      if line.hasPrefix("embsurgery ") {
        entries.append(String(line))
      } else {
        try #require(line.first == " " && !entries.isEmpty, "a synopsis line that starts no command: \(line)")
        entries[entries.count - 1] += " " + line
      }
    }
    return try entries.map { entry in
      let words = Self.words(entry)
      try #require(words.count >= 2 && words[0] == "embsurgery")
      return (words[1], try Self.synopsis(Array(words.dropFirst(2)), isValue: { !$0.hasPrefix("-") }))
    }
  }

  /// `text` split into words, with `[` and `]` words of their own.
  static func words(_ text: String) -> [String] {
    text.replacingOccurrences(of: "[", with: " [ ").replacingOccurrences(of: "]", with: " ] ")
      .split(whereSeparator: \.isWhitespace).map(String.init)
  }

  /// The synopsis `words` write: `--name`, then its value if the next word `isValue`; `[ ... ]`
  /// around what may be left out; `|` between alternatives; `...` after what may be repeated;
  /// anything else a positional argument.
  static func synopsis(_ words: [String], isValue: (String) -> Bool) throws -> Synopsis {
    var synopsis = Synopsis()
    var depth = 0
    var lastOption: String?
    for word in words {
      switch word {
      case "[":
        depth += 1
        lastOption = nil
      case "]":
        depth -= 1
        lastOption = nil
      case "|", "...", "<options>":
        lastOption = nil
      case _ where word.hasPrefix("--"):
        let name = String(word.dropFirst(2))
        if synopsis.options[name] == nil { synopsis.options[name] = Synopsis.Option(required: depth == 0) }
        lastOption = name
      case _ where lastOption != nil && isValue(word):
        synopsis.options[lastOption!]?.takesValue = true
        lastOption = nil
      default:
        var name = word
        if name.hasSuffix("...") { name.removeLast(3) }
        name = name.trimmingCharacters(in: CharacterSet(charactersIn: "<>")).lowercased()
        try #require(!name.isEmpty && name.allSatisfy { $0.isLetter || $0 == "-" }, "not an argument: \(word)")
        synopsis.positionals.append(Synopsis.Positional(name: name, optional: depth > 0))
        lastOption = nil
      }
    }
    try #require(depth == 0, "unbalanced brackets in \(words.joined(separator: " "))")
    return synopsis
  }

  /// What `embsurgery help command` says: the positional arguments and the required options of its
  /// USAGE line, and every option of its OPTIONS list (but `--help` and `--version`).
  static func helpSynopsis(of command: String) throws -> Synopsis {
    let help = try TestEnvironment.embsurgery(["help", command])
    try #require(help.status == 0, "embsurgery help \(command): \(help.stderr)")
    let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let usage = try #require(lines.first { $0.hasPrefix("USAGE: embsurgery \(command) ") })
    let usageWords = Self.words(String(usage.dropFirst("USAGE: embsurgery \(command) ".count)))
    var synopsis = try Self.synopsis(usageWords, isValue: { $0.hasPrefix("<") })
    let start = try #require(lines.firstIndex(of: "OPTIONS:"), "embsurgery help \(command) lists no options")
    for line in lines[(start + 1)...] {
      if line.isEmpty { break }  // the end of the list
      guard line.hasPrefix("  -") else { continue }  // an option's help or discussion
      var words = Self.words(line)
      if words.first?.hasSuffix(",") == true { words.removeFirst() }  // `-h, --help`
      let name = String(try #require(words.first, "\(line)").dropFirst(2))
      guard name != "help", name != "version" else { continue }
      let required = synopsis.options[name]?.required ?? false
      synopsis.options[name] = Synopsis.Option(
        takesValue: words.count > 1 && words[1].hasPrefix("<"), required: required)
    }
    return synopsis
  }

  @Test func theCommandListNamesEveryCommandOnce() throws {
    let listed = try Self.readmeSynopses().map(\.command)
    let help = try TestEnvironment.embsurgery(["--help"])
    let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let start = try #require(lines.firstIndex(of: "SUBCOMMANDS:"))
    let list = lines[(start + 1)...].prefix { !$0.isEmpty }
    let commands = list.compactMap { line -> String? in
      // `  name   abstract`: a command starts at column 2; its abstract's next lines are indented more.
      guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else {
        return nil
      }
      return String(name)
    }
    #expect(!commands.isEmpty)
    #expect(listed.sorted() == commands.sorted(), "README.md's command list against embsurgery --help")
    #expect(Set(listed).count == listed.count, "a command listed twice: \(listed)")
    let readme = try String(
      contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
    for command in listed {
      #expect(readme.contains("\n### \(command)\n"), "README.md has no '### \(command)' section")
    }
  }

  @Test func eachCommandHasTheArgumentsAndOptionsOfItsHelp() throws {
    for (command, readme) in try Self.readmeSynopses() {
      // A command the executable does not have is recorded by helpSynopsis; the others are still checked.
      guard let help = try? Self.helpSynopsis(of: command) else { continue }
      #expect(readme.positionals == help.positionals, "\(command): the positional arguments")
      #expect(
        Set(readme.options.keys) == Set(help.options.keys),
        "\(command): README.md lists \(readme.options.keys.sorted()), the help \(help.options.keys.sorted())")
      for (name, option) in readme.options {
        guard let helped = help.options[name] else { continue }
        #expect(option.takesValue == helped.takesValue, "\(command) --\(name): a value in one synopsis only")
        if helped.required {
          #expect(option.required, "\(command) --\(name) is required, but README.md shows it in brackets")
        } else if option.required {
          // Required by the command's validate() (a repeatable option has no required form in the
          // parser): leaving it out must be a usage error naming it.
          let arguments = [command] + help.positionals.filter { !$0.optional }.map { _ in "x" }
          let result = try TestEnvironment.embsurgery(arguments)
          #expect(result.status == 64, "\(command) without --\(name): \(result.stderr)")
          #expect(result.stderr.contains("--\(name)"), "\(command) without --\(name): \(result.stderr)")
        }
      }
    }
  }
}

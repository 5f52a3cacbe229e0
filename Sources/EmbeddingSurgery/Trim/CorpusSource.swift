import SystemPackage

/// Where a corpus's texts come from: a file, or standard input (`-` on the command line).
public enum CorpusSource: Sendable, Hashable {
  /// The file at a path.
  case file(FilePath)
  /// Standard input, read once, in order.
  case standardInput

  /// The source a command-line argument names: `-` is standard input, anything else a file.
  public init(argument: String) {
    self = argument == "-" ? .standardInput : .file(FilePath(argument))
  }

  /// The path that messages name: the file's, or `-` for standard input.
  public var path: FilePath {
    switch self {
    case .file(let path): path
    case .standardInput: "-"
    }
  }

  /// How the source holds its texts: standard input in `standardInputFormat` (default: lines), a
  /// file as its extension says (`jsonl` for a `.jsonl` file, else lines).
  func format(standardInputFormat: CorpusFormat?) -> CorpusFormat {
    switch self {
    case .file(let path): path.extension?.lowercased() == "jsonl" ? .jsonl : .lines
    case .standardInput: standardInputFormat ?? .lines
    }
  }
}

import SystemPackage

/// How a corpus file holds its texts.
public enum CorpusFormat: String, Sendable, CaseIterable {
  /// Each non-empty line is a text.
  case lines
  /// Each non-empty line is a JSON object whose `"text"` member is the text.
  case jsonl

  /// The format of `path` when none is given: `jsonl` for a `.jsonl` file, else (standard input
  /// included) `lines`.
  static func of(_ path: String) -> CorpusFormat {
    FilePath(path).extension?.lowercased() == "jsonl" ? .jsonl : .lines
  }
}

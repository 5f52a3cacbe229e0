/// How a corpus file holds its texts.
public enum CorpusFormat: String, Sendable, CaseIterable {
  /// Each non-empty line is a text.
  case lines
  /// Each non-empty line is a JSON object whose `"text"` member is the text.
  case jsonl
}

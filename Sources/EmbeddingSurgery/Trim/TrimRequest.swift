/// What a user asks of `trim`: the texts whose tokens the trimmed vocabulary keeps, and what to
/// keep besides.
public struct TrimRequest: Sendable {
  /// The corpus files (or standard input): each non-empty line is one text, or (for a `.jsonl`
  /// file) a JSON object whose `"text"` member is the text.
  public var corpora: [CorpusSource]
  /// How standard input (the corpus `-`) holds its texts (default: lines); a file's format is
  /// told by its extension (`.jsonl`, else lines).
  public var standardInputFormat: CorpusFormat?
  /// Tokens to keep whatever the corpus says, as vocabulary strings (`Ġhello`, `▁hello`, `##ing`);
  /// those not in the vocabulary are reported as skipped.
  public var keep: [String]
  /// Where ``keep`` came from, for messages.
  public var keepSource: String?
  /// A corpus token is kept when it is used at least this many times (at least 1).
  public var minimumCount: Int
  /// The embedding tensor's name, overriding detection.
  public var embeddingName: String?
  /// The output head's name, overriding detection.
  public var headName: String?

  /// Creates a request.
  public init(
    corpora: [CorpusSource], keep: [String] = [], keepSource: String? = nil, minimumCount: Int = 1,
    embeddingName: String? = nil, headName: String? = nil
  ) {
    self.corpora = corpora
    self.keep = keep
    self.keepSource = keepSource
    self.minimumCount = minimumCount
    self.embeddingName = embeddingName
    self.headName = headName
  }
}

/// What a user asks of `extend`: merges learned from a corpus (continued BPE) or made for given
/// words, and how the new rows are initialized.
public struct ExtendRequest: Sendable {
  /// The corpus files: each non-empty line is one text, or (for a `.jsonl` file) a JSON object
  /// whose `"text"` member is the text; standard input in ``standardInputFormat``. With ``words``
  /// the corpus is only measured.
  public var corpora: [CorpusSource]
  /// The format of standard input (default: lines).
  public var standardInputFormat: CorpusFormat?
  /// How many merges to learn from the corpus (0 with ``words``).
  public var merges: Int
  /// Learning stops when the most frequent pair occurs fewer times than this (at least 1).
  public var minimumCount: Int
  /// Strings to make one token each (as they appear in ordinary text), or `nil` to learn.
  public var words: [String]?
  /// How new rows are initialized (`nearest`: the mean of the rows of the token's old pieces).
  public var initialization: InitializationRule
  /// Grow the matrix to a multiple of this many rows, at least 1 (padding rows get the mean row).
  public var padToMultipleOf: Int?
  /// The seed of the `random` and `mvn` rules.
  public var seed: UInt64
  /// S of the `mvn` rule.
  public var noiseScale = NoiseScale.standard
  /// The embedding tensor's name, overriding detection.
  public var embeddingName: String?
  /// The output head's name, overriding detection.
  public var headName: String?

  /// Creates a request.
  public init(
    corpora: [CorpusSource] = [], merges: Int = 0, minimumCount: Int = 2, words: [String]? = nil,
    initialization: InitializationRule = .nearest, padToMultipleOf: Int? = nil, seed: UInt64 = 0,
    embeddingName: String? = nil, headName: String? = nil
  ) {
    self.corpora = corpora
    self.merges = merges
    self.minimumCount = minimumCount
    self.words = words
    self.initialization = initialization
    self.padToMultipleOf = padToMultipleOf
    self.seed = seed
    self.embeddingName = embeddingName
    self.headName = headName
  }
}

/// The pre-tokenized words of a corpus, each once with its count and its tokens under the
/// tokenizer that cut it, for learning merges (``MergeLearner``).
///
/// Record with ``Tokenizer/recordWords(of:into:)``; one value per thread, then ``merge(_:)``
/// them (a sum, so the result does not depend on how the texts were shared out). Memory grows
/// with the distinct words, not with the corpus.
public struct CorpusWords: Sendable {
  /// A distinct word: how often it occurs and the ids it encodes to.
  struct Entry: Sendable {
    var count: Int
    var ids: [Int]
  }

  /// The words by their UTF-8 bytes (the model's string of the pre-token: byte-level alphabet,
  /// `▁` for spaces).
  var entries: [TokenKey: Entry] = [:]
  /// The texts recorded.
  public private(set) var textCount = 0
  /// Their UTF-8 bytes.
  public private(set) var byteCount = 0
  /// The added tokens matched in them (one token each, never merged).
  public private(set) var addedTokenCount = 0

  /// An empty record.
  public init() {}

  /// The number of distinct words.
  public var distinctWords: Int { entries.count }

  /// The distinct words: their UTF-8 bytes, how often each occurs and its tokens, in no
  /// particular order.
  public var words: [(word: [UInt8], count: Int, ids: [Int])] {
    entries.map { (Array($0.key.text.utf8), $0.value.count, $0.value.ids) }
  }

  /// The tokens of every text recorded, under the tokenizer that recorded them.
  ///
  /// - Complexity: O(*n*) in the distinct words.
  public var tokenCount: Int {
    entries.values.reduce(addedTokenCount) { $0 + $1.count * $1.ids.count }
  }

  /// Adds `other`'s words to these.
  ///
  /// - Complexity: O(*n*) in `other`'s distinct words.
  public mutating func merge(_ other: CorpusWords) {
    for (key, entry) in other.entries {
      entries[key, default: Entry(count: 0, ids: entry.ids)].count += entry.count
    }
    textCount += other.textCount
    byteCount += other.byteCount
    addedTokenCount += other.addedTokenCount
  }

  /// Records one word `count` times (for tests and for words given directly).
  package mutating func record(word: String, ids: [Int], count: Int = 1) {
    entries[TokenKey(word), default: Entry(count: 0, ids: ids)].count += count
  }

  mutating func recordText(bytes: Int) {
    textCount += 1
    byteCount += bytes
  }

  mutating func recordAddedToken() { addedTokenCount += 1 }
}

extension Tokenizer {
  /// Cuts a text into the words its model sees and adds them to `words`; a word met for the first
  /// time in `words` is encoded by the model (once: its tokens depend on the word alone).
  ///
  /// - Throws: what ``encode(_:)`` throws for such a text.
  /// - Complexity: the normalization and pre-tokenization of the text, plus the model's work on
  ///   new words; thread-safe with one `words` per thread.
  public func recordWords(of text: String, into words: inout CorpusWords) throws(TokenizationError) {
    words.recordText(bytes: text.utf8.count)
    for piece in preTokenizedPieces(text) {
      if piece.token != nil {
        words.recordAddedToken()
        continue
      }
      if piece.text.isEmpty { continue }
      // Keyed by the word's bytes (hashed in one call, compared as bytes).
      let key = TokenKey(piece.text.string)
      if let index = words.entries.index(forKey: key) {
        words.entries.values[index].count += 1
        continue
      }
      var observer = IgnoringObserver()
      let ids = try model.tokenize(piece.text.scalars, path: path, observer: &observer).map(\.id)
      words.entries[key] = CorpusWords.Entry(count: 1, ids: ids)
    }
  }
}

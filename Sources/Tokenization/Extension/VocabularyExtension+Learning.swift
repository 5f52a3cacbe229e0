extension VocabularyExtension {
  /// What learning did to the corpus.
  public struct LearningOutcome: Sendable, Equatable {
    /// Merges chosen (not counting the splits added beside them).
    public var learnedMerges: Int
    /// The corpus's tokens before and after (added tokens count one each).
    public var tokensBefore: Int
    public var tokensAfter: Int
    /// Why learning stopped before the number of merges asked for, or `nil`.
    public var stoppedEarly: String?
  }

  /// Continued BPE: `count` times, the most frequent adjacent pair of tokens inside the corpus's
  /// words (counted over words × occurrences; ties to the smallest (left id, right id)) becomes
  /// a merge, and every word holding it is re-encoded. Stops early when the best pair occurs
  /// fewer than `minimumCount` times or no pair is left.
  ///
  /// - Complexity: O(*w*) in the words' tokens to start, then per merge the words holding its
  ///   pairs (an index from pair to words, a heap of pair counts with lazy deletion); memory
  ///   grows with the distinct words.
  public mutating func learn(from corpus: CorpusWords, merges count: Int, minimumCount: Int)
    -> LearningOutcome
  {
    var pairs = CorpusPairs(corpus, encodedBy: self)
    var learned = 0
    var stoppedEarly: String?
    while learned < count {
      let choice = pairs.mostFrequentPair(minimumCount: minimumCount)
      guard case .merge(let left, let right, let occurrences) = choice else {
        if case .stop(let reason) = choice { stoppedEarly = reason }
        break
      }
      guard let bytes = mergedText(left, right) else {
        pairs.refuse(left, right)
        continue
      }
      let added = addMerge(left, right, bytes: bytes, count: occurrences)
      learned += 1
      pairs.reencodeWords(holding: added.pairs, spelling: bytes, step: learned, in: self)
    }
    return LearningOutcome(
      learnedMerges: learned, tokensBefore: corpus.tokenCount,
      tokensAfter: corpus.addedTokenCount + pairs.tokenCount,
      stoppedEarly: stoppedEarly)
  }

  /// The corpus's tokens under the extended tokenizer, each word re-encoded from its old tokens.
  ///
  /// - Complexity: the merge loop over every distinct word.
  public func tokenCount(of corpus: CorpusWords) -> Int {
    corpus.entries.reduce(corpus.addedTokenCount) { total, element in
      total + element.value.count
        * encode(oldTokens: element.value.ids, word: Array(element.key.text.utf8)).count
    }
  }

  /// The extended tokenizer's tokens of a text (the model's strings; an added token's content).
  ///
  /// - Throws: what ``Tokenizer/encode(_:)`` throws.
  public func encodedTokens(of text: String) throws(TokenizationError) -> [String] {
    var tokens: [String] = []
    for piece in tokenizer.preTokenizedPieces(text) {
      if let token = piece.token {
        tokens.append(token.text)
        continue
      }
      var observer = IgnoringObserver()
      let old = try model.tokenize(piece.text.scalars, path: tokenizer.path, observer: &observer)
        .map(\.id)
      tokens += encode(oldTokens: old, word: Array(piece.text.string.utf8)).map {
        self.text(of: $0)
      }
    }
    return tokens
  }
}

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
  public mutating func learn(from corpus: CorpusWords, merges count: Int, minimumCount: Int) -> LearningOutcome {
    var wordKeys: [[UInt8]] = []
    var symbols: [[Int]] = []
    var counts: [Int] = []
    wordKeys.reserveCapacity(corpus.entries.count)
    symbols.reserveCapacity(corpus.entries.count)
    counts.reserveCapacity(corpus.entries.count)
    for (key, entry) in corpus.entries {
      let key = Array(key.text.utf8)
      wordKeys.append(key)
      // Words learned from after merges already added (a second run) start from their encoding.
      symbols.append(merges.isEmpty ? entry.ids : encode(oldTokens: entry.ids, word: key))
      counts.append(entry.count)
    }
    let tokensBefore = corpus.tokenCount
    var wordByKey: [[UInt8]: Int] = [:]
    if model.ignoreMerges {
      for (index, key) in wordKeys.enumerated() { wordByKey[key] = index }
    }
    var pairCounts: [UInt64: Int] = [:]
    var pairWords: [UInt64: [Int32]] = [:]
    var mergeable: [Int: Bool] = [:]
    func canMerge(_ id: Int) -> Bool {
      if let known = mergeable[id] { return known }
      let result = isMergeable(id)
      mergeable[id] = result
      return result
    }
    for (index, word) in symbols.enumerated() where word.count > 1 {
      for position in 0..<(word.count - 1) where canMerge(word[position]) && canMerge(word[position + 1]) {
        let pair = Self.key(word[position], word[position + 1])
        pairCounts[pair, default: 0] += counts[index]
        if pairWords[pair]?.last != Int32(index) { pairWords[pair, default: []].append(Int32(index)) }
      }
    }
    var heap = PairHeap()
    for (pair, count) in pairCounts { heap.push(.init(count: count, pair: pair)) }
    var refused = Set<UInt64>()
    var stamp = [Int](repeating: -1, count: symbols.count)
    var learned = 0
    var stoppedEarly: String?
    while learned < count {
      guard let top = heap.pop() else {
        stoppedEarly = "no pair of tokens is left to merge"
        break
      }
      let current = pairCounts[top.pair] ?? 0
      if current != top.count {
        if current > 0, current < top.count { heap.push(.init(count: current, pair: top.pair)) }
        continue
      }
      if current < minimumCount {
        stoppedEarly = "the most frequent pair occurs \(current) times, fewer than the minimum count \(minimumCount)"
        break
      }
      if refused.contains(top.pair) { continue }
      let left = Int(top.pair >> 32)
      let right = Int(top.pair & 0xFFFF_FFFF)
      guard let bytes = mergedText(left, right) else {
        refused.insert(top.pair)
        continue
      }
      let added = addMerge(left, right, bytes: bytes, count: current)
      learned += 1
      // The words to re-encode: those holding a pair of a merge just added, and (ignore_merges)
      // the word that now is a token.
      var affected: [Int] = []
      for pair in added.pairs {
        for word in pairWords[pair] ?? [] where stamp[Int(word)] != learned {
          stamp[Int(word)] = learned
          affected.append(Int(word))
        }
      }
      if model.ignoreMerges, let whole = wordByKey[bytes], stamp[whole] != learned {
        stamp[whole] = learned
        affected.append(whole)
      }
      var deltas: [UInt64: Int] = [:]
      for word in affected {
        let old = symbols[word]
        let new = encode(oldTokens: old, word: model.ignoreMerges ? wordKeys[word] : nil)
        if new == old { continue }
        symbols[word] = new
        let weight = counts[word]
        if old.count > 1 {
          for position in 0..<(old.count - 1) where canMerge(old[position]) && canMerge(old[position + 1]) {
            deltas[Self.key(old[position], old[position + 1]), default: 0] -= weight
          }
        }
        if new.count > 1 {
          for position in 0..<(new.count - 1) where canMerge(new[position]) && canMerge(new[position + 1]) {
            let pair = Self.key(new[position], new[position + 1])
            deltas[pair, default: 0] += weight
            if pairWords[pair]?.last != Int32(word) { pairWords[pair, default: []].append(Int32(word)) }
          }
        }
      }
      for (pair, delta) in deltas where delta != 0 {
        let updated = (pairCounts[pair] ?? 0) + delta
        if updated <= 0 {
          pairCounts[pair] = nil
          pairWords[pair] = nil
        } else {
          pairCounts[pair] = updated
          if delta > 0 { heap.push(.init(count: updated, pair: pair)) }
        }
      }
    }
    var tokensAfter = corpus.addedTokenCount
    for (index, word) in symbols.enumerated() { tokensAfter += word.count * counts[index] }
    return LearningOutcome(
      learnedMerges: learned, tokensBefore: tokensBefore, tokensAfter: tokensAfter, stoppedEarly: stoppedEarly)
  }

  /// The corpus's tokens under the extended tokenizer, each word re-encoded from its old tokens.
  ///
  /// - Complexity: the merge loop over every distinct word.
  public func tokenCount(of corpus: CorpusWords) -> Int {
    corpus.entries.reduce(corpus.addedTokenCount) { total, element in
      total + element.value.count * encode(oldTokens: element.value.ids, word: Array(element.key.text.utf8)).count
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
      let old = try model.tokenize(piece.text.scalars, path: tokenizer.path, observer: &observer).map(\.id)
      tokens += encode(oldTokens: old, word: Array(piece.text.string.utf8)).map { self.text(of: $0) }
    }
    return tokens
  }
}

/// The working state of continued BPE: the corpus's distinct words as token sequences, the count
/// of every adjacent pair of mergeable tokens (over words × occurrences), the words that hold
/// each pair, and a heap of pairs by count (lazy deletion: an entry whose count has changed is
/// skipped when it comes out).
struct CorpusPairs {
  /// What the learner does next.
  enum Choice {
    /// Merge `left` + `right`, which occur `count` times.
    case merge(left: Int, right: Int, count: Int)
    /// Stop, for this reason.
    case stop(String)
  }

  /// Each word's bytes, current tokens and number of occurrences, by word index.
  private var wordKeys: [[UInt8]] = []
  private var symbols: [[Int]] = []
  private var counts: [Int] = []
  /// The index of a word by its bytes (only for `ignore_merges`, where a word that becomes a
  /// token is re-encoded as that token).
  private var wordByKey: [[UInt8]: Int] = [:]
  private var pairCounts: [UInt64: Int] = [:]
  private var pairWords: [UInt64: [Int32]] = [:]
  private var heap = PairHeap()
  /// Pairs the vocabulary may not merge (met at the top of the heap once, then skipped).
  private var refused = Set<UInt64>()
  /// Whether each token met so far can take part in a merge.
  private var mergeable: [Int: Bool] = [:]
  /// The step at which each word was last picked for re-encoding (a word is picked once a step).
  private var stamp: [Int] = []

  /// The words of `corpus` in the tokens of `vocabulary` (words learned from after merges already
  /// added, in a second run, start from their encoding), with their pairs counted.
  ///
  /// - Complexity: O(*w*) in the words' tokens.
  init(_ corpus: CorpusWords, encodedBy vocabulary: VocabularyExtension) {
    readWords(of: corpus, encodedBy: vocabulary)
    countPairs(in: vocabulary)
  }

  private mutating func readWords(of corpus: CorpusWords, encodedBy vocabulary: VocabularyExtension) {
    wordKeys.reserveCapacity(corpus.entries.count)
    symbols.reserveCapacity(corpus.entries.count)
    counts.reserveCapacity(corpus.entries.count)
    for (key, entry) in corpus.entries {
      let key = Array(key.text.utf8)
      wordKeys.append(key)
      symbols.append(
        vocabulary.merges.isEmpty ? entry.ids : vocabulary.encode(oldTokens: entry.ids, word: key))
      counts.append(entry.count)
    }
    if vocabulary.model.ignoreMerges {
      for (index, key) in wordKeys.enumerated() { wordByKey[key] = index }
    }
    stamp = [Int](repeating: -1, count: symbols.count)
  }

  private mutating func countPairs(in vocabulary: VocabularyExtension) {
    for (index, word) in symbols.enumerated() {
      for position in word.indices.dropLast()
      where isMergeablePair(word, at: position, in: vocabulary) {
        let pair = VocabularyExtension.key(word[position], word[position + 1])
        pairCounts[pair, default: 0] += counts[index]
        if pairWords[pair]?.last != Int32(index) {
          pairWords[pair, default: []].append(Int32(index))
        }
      }
    }
    for (pair, count) in pairCounts { heap.push(.init(count: count, pair: pair)) }
  }

  /// Whether the tokens at `position` and after it in `word` can both take part in a merge.
  private mutating func isMergeablePair(
    _ word: [Int], at position: Int, in vocabulary: VocabularyExtension
  ) -> Bool {
    canMerge(word[position], in: vocabulary) && canMerge(word[position + 1], in: vocabulary)
  }

  private mutating func canMerge(_ id: Int, in vocabulary: VocabularyExtension) -> Bool {
    if let known = mergeable[id] { return known }
    let result = vocabulary.isMergeable(id)
    mergeable[id] = result
    return result
  }

  /// The most frequent pair not refused (ties to the smallest (left, right)), or why there is
  /// none: no pair is left, or the best occurs fewer than `minimumCount` times.
  ///
  /// - Complexity: O(log *p*) per heap entry taken out, stale ones included.
  mutating func mostFrequentPair(minimumCount: Int) -> Choice {
    while let top = heap.pop() {
      let current = pairCounts[top.pair] ?? 0
      if current != top.count {
        if current > 0, current < top.count { heap.push(.init(count: current, pair: top.pair)) }
        continue
      }
      if current < minimumCount {
        return .stop(
          "the most frequent pair occurs \(current) times, fewer than the minimum count \(minimumCount)"
        )
      }
      if refused.contains(top.pair) { continue }
      return .merge(left: Int(top.pair >> 32), right: Int(top.pair & 0xFFFF_FFFF), count: current)
    }
    return .stop("no pair of tokens is left to merge")
  }

  /// Marks `left` + `right` as a pair the vocabulary may not merge.
  mutating func refuse(_ left: Int, _ right: Int) {
    refused.insert(VocabularyExtension.key(left, right))
  }

  /// Re-encodes, after the merges whose pairs are `mergedPairs` were added at learning step
  /// `step`, the words holding one of those pairs and (with `ignore_merges`) the word spelled
  /// `newToken`, which now is a token; updates the pair counts by the difference.
  ///
  /// - Complexity: the merge loop over each of those words.
  mutating func reencodeWords(
    holding mergedPairs: [UInt64], spelling newToken: [UInt8], step: Int,
    in vocabulary: VocabularyExtension
  ) {
    var deltas: [UInt64: Int] = [:]
    for word in words(holding: mergedPairs, spelling: newToken, step: step, in: vocabulary) {
      let old = symbols[word]
      let new = vocabulary.encode(
        oldTokens: old, word: vocabulary.model.ignoreMerges ? wordKeys[word] : nil)
      if new == old { continue }
      symbols[word] = new
      let weight = counts[word]
      for position in old.indices.dropLast()
      where isMergeablePair(old, at: position, in: vocabulary) {
        deltas[VocabularyExtension.key(old[position], old[position + 1]), default: 0] -= weight
      }
      for position in new.indices.dropLast()
      where isMergeablePair(new, at: position, in: vocabulary) {
        let pair = VocabularyExtension.key(new[position], new[position + 1])
        deltas[pair, default: 0] += weight
        if pairWords[pair]?.last != Int32(word) { pairWords[pair, default: []].append(Int32(word)) }
      }
    }
    apply(deltas)
  }

  /// The words to re-encode at `step`, each once.
  private mutating func words(
    holding mergedPairs: [UInt64], spelling newToken: [UInt8], step: Int,
    in vocabulary: VocabularyExtension
  ) -> [Int] {
    var affected: [Int] = []
    for pair in mergedPairs {
      for word in pairWords[pair] ?? [] where stamp[Int(word)] != step {
        stamp[Int(word)] = step
        affected.append(Int(word))
      }
    }
    if vocabulary.model.ignoreMerges, let whole = wordByKey[newToken], stamp[whole] != step {
      stamp[whole] = step
      affected.append(whole)
    }
    return affected
  }

  /// Adds `deltas` to the pair counts; a pair whose count grew goes into the heap again.
  private mutating func apply(_ deltas: [UInt64: Int]) {
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

  /// The words' tokens, counted with their occurrences.
  var tokenCount: Int {
    var total = 0
    for (index, word) in symbols.enumerated() { total += word.count * counts[index] }
    return total
  }
}

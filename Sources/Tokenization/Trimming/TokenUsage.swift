/// What a corpus uses of a tokenizer: how often each token id came out of the encoder, which BPE
/// merges were applied, and which WordPiece pieces were matched on the way to an unknown word.
///
/// Record with ``Tokenizer/encode(_:recordingInto:)``. One value per thread, then
/// ``merge(_:)`` them: recording is not synchronized.
///
/// ```swift
/// var usage = TokenUsage(for: tokenizer)
/// for line in corpus { try tokenizer.encode(line, recordingInto: &usage) }
/// ```
public struct TokenUsage: Sendable, Equatable {
  /// How many times each id was output, by id (grown on demand).
  private var counts: [Int]
  /// The ranks of the BPE merges applied, one bit a rank.
  private var appliedMerges: BitSet
  /// WordPiece pieces matched in words that became the unknown token.
  private var unknownWordPieces: BitSet
  /// The number of texts recorded.
  public private(set) var textCount = 0
  /// The number of tokens output, over all texts.
  public private(set) var tokenCount = 0

  /// An empty record sized for `tokenizer` (its ids and merges).
  public init(for tokenizer: Tokenizer) {
    counts = [Int](repeating: 0, count: tokenizer.vocabulary.size)
    appliedMerges = BitSet()
    unknownWordPieces = BitSet()
    if case .bpe(let model) = tokenizer.model {
      appliedMerges = BitSet(capacity: model.merges.count)
    }
  }

  /// How many times `id` was output.
  public func count(of id: Int) -> Int {
    id >= 0 && id < counts.count ? counts[id] : 0
  }

  /// The ids output at least once, ascending.
  public var usedIDs: [Int] { counts.indices.filter { counts[$0] > 0 } }

  /// Whether the BPE merge of rank `rank` (its index in `model.merges`) was applied.
  public func wasApplied(mergeRank rank: Int) -> Bool { appliedMerges.contains(rank) }

  /// The ranks of the BPE merges applied, ascending.
  public var appliedMergeRanks: [Int] { appliedMerges.members }

  /// The WordPiece pieces matched in words that then became the unknown token, ascending (a
  /// trimmed vocabulary keeps them, so that the same words stay unknown).
  public var piecesOfUnknownWords: [Int] { unknownWordPieces.members }

  /// Adds `other`'s record to this one (the usage of both corpora).
  ///
  /// - Complexity: O(*n*) in the number of ids and merges.
  public mutating func merge(_ other: TokenUsage) {
    if other.counts.count > counts.count {
      counts.append(contentsOf: repeatElement(0, count: other.counts.count - counts.count))
    }
    for (id, count) in other.counts.enumerated() where count != 0 { counts[id] += count }
    appliedMerges.formUnion(other.appliedMerges)
    unknownWordPieces.formUnion(other.unknownWordPieces)
    textCount += other.textCount
    tokenCount += other.tokenCount
  }

  /// Counts the ids of one encoded text.
  package mutating func count(_ ids: [Int]) {
    textCount += 1
    tokenCount += ids.count
    for id in ids {
      if id >= counts.count {
        counts.append(contentsOf: repeatElement(0, count: id + 1 - counts.count))
      }
      counts[id] += 1
    }
  }
}

extension TokenUsage: EncodingObserver {
  @inline(__always) mutating func appliedMerge(rank: Int) { appliedMerges.insert(rank) }
  mutating func matchedPieceOfUnknownWord(id: Int) { unknownWordPieces.insert(id) }
}

extension Tokenizer {
  /// Encodes a text as ``encode(_:)`` does and adds what it used to `usage`.
  ///
  /// - Throws: what ``encode(_:)`` throws; `usage` is then unchanged but for the merges applied
  ///   before the failure.
  /// - Complexity: that of ``encode(_:)``; thread-safe with one `usage` per thread.
  @discardableResult
  public func encode(_ text: String, recordingInto usage: inout TokenUsage)
    throws(TokenizationError) -> Encoding
  {
    let encoding = try encode(text, observer: &usage)
    usage.count(encoding.ids)
    return encoding
  }
}

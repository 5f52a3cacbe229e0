/// Watches the steps of the models while a text is encoded, for what the output alone does not
/// show: the BPE merges applied, and the WordPiece pieces matched on the way to an unknown word.
///
/// The engine's models are generic over their observer, so the no-op ``IgnoringObserver`` costs
/// nothing in ordinary encoding.
protocol EncodingObserver {
  /// A BPE merge (its rank in `model.merges`) was applied.
  mutating func appliedMerge(rank: Int)
  /// WordPiece matched the piece `id` in a word it then gave up on (the word became the unknown
  /// token). Keeping these pieces keeps the greedy search on the same path, so that the trimmed
  /// vocabulary gives up on the same words.
  mutating func matchedPieceOfUnknownWord(id: Int)
}

/// The observer of ordinary encoding: does nothing.
struct IgnoringObserver: EncodingObserver {
  @inline(__always) func appliedMerge(rank: Int) {}
  @inline(__always) func matchedPieceOfUnknownWord(id: Int) {}
}

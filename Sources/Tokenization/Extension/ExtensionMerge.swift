/// A merge an extension appends to a BPE tokenizer: two tokens and the token they make.
public struct ExtensionMerge: Sendable, Equatable {
  /// The left and right tokens (model strings: byte-level alphabet, `▁` for spaces).
  public var left: Token
  public var right: Token
  /// The token they make: new (an id past the old vocabulary) or one the vocabulary already had.
  public var token: Token
  /// How often the pair occurred in the corpus's words when it was chosen (0 for a merge made
  /// for a given word, or added so that a SentencePiece-style tokenizer merges like
  /// `sentencepiece`, see ``isDecomposition``).
  public var count: Int
  /// Whether the merge was added because `token` can also be split as `left` + `right`:
  /// `sentencepiece` merges any two adjacent pieces whose concatenation is a piece, so the
  /// tokenizer.json of a SentencePiece-style model gets every such split of a new token.
  public var isDecomposition: Bool
  /// The merge's priority among the new merges (smaller first); the written file lists them in
  /// this order, after every old merge.
  package var rank: UInt32
}

import StrictJSON
import Tokenization

/// What an extend did (or, for a dry run, would do).
public struct ExtendReport: SurgeryReport, Sendable, Equatable, Encodable {
  /// A string of `--words` that got no merges, and why.
  public struct SkippedWord: Sendable, Equatable, Encodable {
    public var token: String
    public var reason: String
  }

  /// Rows of the embedding before and after.
  public var rowsBefore: Int
  public var rowsAfter: Int
  /// The new merges, in the order the tokenizer file lists them (after the old ones).
  public var merges: [ExtensionMerge]
  /// Each merge's token for people (a byte-level token's bytes decoded, `▁` as a space), in the
  /// order of ``merges``.
  public var readableTokens: [String]
  /// The new tokens in id order, with the old pieces their rows are made from (`nearest`).
  public var newTokens: [Token]
  public var pieces: [[Int]]
  /// The ids of the new tokens, ascending (padding rows are not tokens): the rows a short
  /// training should update (PEFT's `trainable_token_indices`).
  public var newIDs: [Int] { newTokens.map(\.id) }
  /// The `--words` strings skipped.
  public var skipped: [SkippedWord]
  /// The corpus: texts, UTF-8 bytes, tokens before and after.
  public var corpusTexts: Int
  public var corpusBytes: Int
  public var tokensBefore: Int
  public var tokensAfter: Int
  /// The tensors that grew.
  public var resized: [String]
  /// Where the result was (or would be) written.
  public var output: String
  /// Whether a checkpoint was written.
  public var written: Bool
  /// Remarks for a person (learning stopped early, files left alone...).
  public var notes: [String]

  private enum CodingKeys: String, CodingKey {
    case rowsBefore = "rows_before"
    case rowsAfter = "rows_after"
    case merges
    case newIDs = "new_ids"
    case skipped, corpus, resized, output, written
    case notes
  }

  private enum MergeKeys: String, CodingKey { case left, right, token, id, count }

  private enum CorpusKeys: String, CodingKey {
    case texts, bytes
    case tokensBefore = "tokens_before"
    case tokensAfter = "tokens_after"
  }

  /// The same members, in the same order, as ``json``.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(rowsBefore, forKey: .rowsBefore)
    try container.encode(rowsAfter, forKey: .rowsAfter)
    var list = container.nestedUnkeyedContainer(forKey: .merges)
    for merge in merges {
      var entry = list.nestedContainer(keyedBy: MergeKeys.self)
      try entry.encode(merge.left.text, forKey: .left)
      try entry.encode(merge.right.text, forKey: .right)
      try entry.encode(merge.token.text, forKey: .token)
      try entry.encode(merge.token.id, forKey: .id)
      try entry.encode(merge.count, forKey: .count)
    }
    try container.encode(newIDs, forKey: .newIDs)
    try container.encode(skipped, forKey: .skipped)
    var corpus = container.nestedContainer(keyedBy: CorpusKeys.self, forKey: .corpus)
    try corpus.encode(corpusTexts, forKey: .texts)
    try corpus.encode(corpusBytes, forKey: .bytes)
    try corpus.encode(tokensBefore, forKey: .tokensBefore)
    try corpus.encode(tokensAfter, forKey: .tokensAfter)
    try container.encode(resized, forKey: .resized)
    try container.encode(output, forKey: .output)
    try container.encode(written, forKey: .written)
    try container.encode(notes, forKey: .notes)
  }
}

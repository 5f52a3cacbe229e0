/// Grows a BPE vocabulary with merges: learned from a corpus by continued BPE
/// (``learn(from:merges:minimumCount:)``) or made for given words (``addWords(_:)``). New merges
/// rank after every old one, so the extended tokenizer encodes any text as the old one did and
/// then applies the new merges: no text gets more tokens.
///
/// The learner's idea of a word's tokens is the tokenizer's own: after each merge, every word
/// that holds one of the step's new pairs is re-encoded by the same merge loop the engine (and
/// HF `tokenizers`) runs, over the old merges and the new ones so far. So a merge that makes a
/// token the vocabulary already had, which an old merge may then continue, is followed exactly.
///
/// Ties: among pairs of equal count the smallest (left id, right id) is chosen. Pairs never
/// involve added tokens, byte-fallback tokens (`<0x..>`) or the unknown token, never make an
/// added token's text, never hold a space when the file writes merges as `"a b"` strings, and in
/// a SentencePiece-style tokenizer never make a token with `▁` after its first non-`▁` character
/// (that would cross a word). In a SentencePiece-style tokenizer (no ByteLevel pre-tokenizer)
/// every split of a new token into two tokens gets a merge at the token's priority, because
/// `sentencepiece` merges any adjacent pieces whose concatenation is a piece.
public struct VocabularyExtension: Sendable {
  /// A word given to ``addWords(_:)`` that got no merges, and why.
  public struct SkippedWord: Sendable, Equatable {
    public var text: String
    public var reason: String
  }

  let tokenizer: Tokenizer
  let model: BPEModel
  /// The number of old merges.
  let oldMergeCount: Int
  /// The first new id.
  public let firstNewID: Int
  /// Merges by pair, old and new: rank in the high half, merged id in the low half.
  private(set) var table: [UInt64: UInt64]
  /// The new tokens' ids by UTF-8 bytes, and their texts in id order.
  private(set) var newIDs: [[UInt8]: Int] = [:]
  private(set) var newTexts: [String] = []
  /// For each new token, the old tokens it is made of (for the `nearest` rows).
  private var newPieces: [[Int]] = []
  /// Ids that never merge.
  private let unmergeable: Set<Int>
  /// Texts no merge may make (added tokens').
  private let forbiddenTexts: Set<[UInt8]>
  /// Whether every split of a new token gets a merge (SentencePiece-style tokenizers).
  public let mergesEverySplit: Bool
  /// Whether tokens holding a space cannot be merged (merges written as `"a b"` strings).
  let spacesForbidden: Bool
  /// The merges added, in the order they were made.
  public private(set) var merges: [ExtensionMerge] = []
  /// For each new-token group (a learned or chained merge and its splits), the next sub-rank.
  private var groupSizes: [Int] = []
  /// For a new token, its group.
  private var groupOfNewID: [Int: Int] = [:]

  /// Sub-ranks per group: splits past this many are not given merges.
  static let groupStride = 64
  /// `▁`, the SentencePiece space.
  static let metaspace: [UInt8] = Array("\u{2581}".utf8)

  /// Prepares to extend `tokenizer`'s BPE model.
  ///
  /// - Parameters:
  ///   - mergesAsStrings: whether the file writes merges as `"a b"` strings (tokens with a space
  ///     then cannot be merged).
  /// - Throws: ``TokenizationError/unsupported(path:what:)`` for a WordPiece or Unigram model, or
  ///   a BPE model with a subword prefix or an end-of-word suffix.
  public init(tokenizer: Tokenizer, mergesAsStrings: Bool) throws(TokenizationError) {
    self.tokenizer = tokenizer
    switch tokenizer.model {
    case .bpe(let model): self.model = model
    case .wordPiece:
      throw .unsupported(
        path: tokenizer.path, what: "a WordPiece model has no merges to extend (extend grows BPE vocabularies)")
    case .unigram:
      throw .unsupported(
        path: tokenizer.path, what: "a Unigram model has no merges to extend (extend grows BPE vocabularies)")
    }
    if model.continuingSubwordPrefix?.isEmpty == false || model.endOfWordSuffix?.isEmpty == false {
      throw .unsupported(
        path: tokenizer.path,
        what: "extend does not support BPE models with continuing_subword_prefix or end_of_word_suffix")
    }
    table = model.merges
    oldMergeCount = model.merges.values.reduce(0) { max($0, Int($1 >> 32) + 1) }
    firstNewID = tokenizer.vocabulary.size
    let vocabulary = tokenizer.vocabulary
    var unmergeable = Set<Int>()
    var forbidden = Set<[UInt8]>()
    for token in vocabulary.addedTokens {
      unmergeable.insert(token.id)
      if let id = vocabulary.id(of: token.content) { unmergeable.insert(id) }
      forbidden.insert(Array(token.content.utf8))
    }
    if let unknown = model.unknownToken, let id = model.vocab.id(of: unknown) { unmergeable.insert(id) }
    if model.byteFallback {
      for byte in 0...255 {
        if let id = model.vocab.id(of: BPEModel.byteToken(UInt8(byte))) { unmergeable.insert(id) }
      }
    }
    self.unmergeable = unmergeable
    forbiddenTexts = forbidden
    mergesEverySplit = !(tokenizer.preTokenizer?.containsByteLevel ?? false)
    spacesForbidden = mergesAsStrings
  }

  // MARK: Tokens

  /// The id of a token's text (old or new), or `nil`.
  func id(of bytes: [UInt8]) -> Int? {
    if let id = newIDs[bytes] { return id }
    return bytes.withUnsafeBufferPointer { model.vocab.id(of: $0) }
  }

  /// The model text of an id (old or new).
  public func text(of id: Int) -> String {
    id >= firstNewID ? newTexts[id - firstNewID] : tokenizer.vocabulary.modelToken(of: id) ?? ""
  }

  /// The new tokens, in id order.
  public var newTokens: [Token] {
    newTexts.enumerated().map { Token(id: firstNewID + $0, text: $1) }
  }

  /// The old tokens each new token is made of, in id order (a new token's pieces are its merge's
  /// two tokens' pieces).
  public var piecesOfNewTokens: [[Int]] { newPieces }

  /// The new merges in the order the tokenizer file lists them (after the old ones).
  public var writtenMerges: [ExtensionMerge] { merges.sorted { $0.rank < $1.rank } }

  /// Whether a token can take part in a merge.
  func isMergeable(_ id: Int) -> Bool {
    guard !unmergeable.contains(id) else { return false }
    if id >= firstNewID { return true }
    guard let text = tokenizer.vocabulary.modelToken(of: id) else { return false }
    return !(spacesForbidden && text.utf8.contains(0x20))
  }

  /// The text `left` + `right` would make, or `nil` when the pair may not be merged.
  func mergedText(_ left: Int, _ right: Int) -> [UInt8]? {
    guard isMergeable(left), isMergeable(right) else { return nil }
    let bytes = Array(text(of: left).utf8) + Array(text(of: right).utf8)
    if forbiddenTexts.contains(bytes) { return nil }
    if mergesEverySplit, !Self.metaspaceOnlyLeads(bytes) { return nil }
    if let existing = id(of: bytes), !isMergeable(existing) { return nil }
    return bytes
  }

  /// Whether every `▁` of `bytes` is in its leading run.
  static func metaspaceOnlyLeads(_ bytes: [UInt8]) -> Bool {
    var index = 0
    while index + 3 <= bytes.count, bytes[index..<index + 3].elementsEqual(metaspace) { index += 3 }
    while index + 3 <= bytes.count {
      if bytes[index..<index + 3].elementsEqual(metaspace) { return false }
      index += 1
    }
    return true
  }

  // MARK: Merging

  /// The tokens of a word after every merge so far, from its old tokens (the old encoding is
  /// closed under the old merges, so this is the extended tokenizer's encoding of the word).
  func encode(oldTokens: [Int], word: [UInt8]? = nil) -> [Int] {
    if model.ignoreMerges, let word, let id = newIDs[word] { return [id] }
    var symbols = oldTokens
    BPEMerger.mergeAll(&symbols, merges: table)
    return symbols
  }

  /// Adds the merge `left` + `right` (whose text is `bytes`) as a new group, with its splits in a
  /// SentencePiece-style tokenizer; returns the merged id and the pairs of every merge added.
  @discardableResult
  mutating func addMerge(_ left: Int, _ right: Int, bytes: [UInt8], count: Int) -> (id: Int, pairs: [UInt64]) {
    let group = groupSizes.count
    groupSizes.append(0)
    var pairs: [UInt64] = []
    let merged: Int
    if let existing = id(of: bytes) {
      merged = existing
    } else {
      merged = firstNewID + newTexts.count
      newIDs[bytes] = merged
      newTexts.append(String(decoding: bytes, as: UTF8.self))
      newPieces.append(pieces(of: left) + pieces(of: right))
      groupOfNewID[merged] = group
    }
    let isNew = merged >= firstNewID && groupOfNewID[merged] == group
    pairs.append(appendMerge(left, right, merged: merged, group: group, count: count, decomposition: false))
    if isNew, mergesEverySplit {
      // Every other split of the new token into two tokens.
      for split in 1..<bytes.count where bytes[split] & 0xC0 != 0x80 {
        guard let first = id(of: Array(bytes[..<split])), let second = id(of: Array(bytes[split...])),
          first != left || second != right, isMergeable(first), isMergeable(second),
          table[Self.key(first, second)] == nil, groupSizes[group] < Self.groupStride
        else { continue }
        pairs.append(appendMerge(first, second, merged: merged, group: group, count: 0, decomposition: true))
      }
      // Earlier new tokens that the new one splits: `x + new` or `new + y`.
      for (index, text) in newTexts.enumerated().dropLast() {
        let earlier = Array(text.utf8)
        guard earlier.count > bytes.count, let earlierGroup = groupOfNewID[firstNewID + index],
          groupSizes[earlierGroup] < Self.groupStride
        else { continue }
        if earlier.suffix(bytes.count).elementsEqual(bytes), let first = id(of: Array(earlier.dropLast(bytes.count))),
          isMergeable(first), table[Self.key(first, merged)] == nil
        {
          appendMerge(first, merged, merged: firstNewID + index, group: earlierGroup, count: 0, decomposition: true)
        }
        if groupSizes[earlierGroup] < Self.groupStride, earlier.prefix(bytes.count).elementsEqual(bytes),
          let second = id(of: Array(earlier.dropFirst(bytes.count))), isMergeable(second),
          table[Self.key(merged, second)] == nil
        {
          appendMerge(merged, second, merged: firstNewID + index, group: earlierGroup, count: 0, decomposition: true)
        }
      }
    }
    return (merged, pairs)
  }

  @discardableResult
  private mutating func appendMerge(
    _ left: Int, _ right: Int, merged: Int, group: Int, count: Int, decomposition: Bool
  ) -> UInt64 {
    let rank = UInt32(oldMergeCount + group * Self.groupStride + groupSizes[group])
    groupSizes[group] += 1
    let key = Self.key(left, right)
    table[key] = UInt64(rank) << 32 | UInt64(merged)
    merges.append(
      ExtensionMerge(
        left: Token(id: left, text: text(of: left)), right: Token(id: right, text: text(of: right)),
        token: Token(id: merged, text: text(of: merged)), count: count, isDecomposition: decomposition,
        rank: rank))
    return key
  }

  /// The old tokens a token is made of.
  func pieces(of id: Int) -> [Int] {
    id >= firstNewID ? newPieces[id - firstNewID] : [id]
  }

  @inline(__always) static func key(_ left: Int, _ right: Int) -> UInt64 {
    UInt64(left) << 32 | UInt64(UInt32(truncatingIfNeeded: right))
  }
}

extension PreTokenizer {
  /// Whether a ByteLevel step is part of this pre-tokenizer.
  var containsByteLevel: Bool {
    switch self {
    case .byteLevel: true
    case .sequence(let steps): steps.contains { $0.containsByteLevel }
    default: false
    }
  }
}

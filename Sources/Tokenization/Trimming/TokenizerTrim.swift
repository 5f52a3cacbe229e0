import StrictJSON

/// What a trimmed vocabulary keeps, worked out from what a corpus used.
///
/// The kept ids are:
/// - the ids the corpus encoded to at least `minimumCount` times (``TokenUsage``);
/// - the requested tokens (`keepTokens`, vocabulary strings) and ids (`keepIDs`, e.g. the ids
///   config files name);
/// - every `added_tokens` entry, and the ids the post-processor and `padding` hold;
/// - the model's base vocabulary, so that any text still encodes without new unknowns
///   (``BaseVocabulary``): byte tokens, single characters, the unknown token;
/// - for BPE, the tokens on the merge paths of all of these (``MergeClosure``); for WordPiece,
///   the pieces matched in words that became unknown.
///
/// With `minimumCount` 1 every corpus text encodes to the same token strings with the trimmed
/// tokenizer, and its ids map through ``idMap``.
public struct TokenizerTrim: Sendable {
  /// The renumbering: kept ids ascending, new ids dense and in the same order.
  public let idMap: TokenIDMap
  /// For a BPE model, the ranks (indices in `model.merges`) of the merges kept, ascending; `nil`
  /// for other models.
  public let keptMergeRanks: [Int]?
  /// The number of merges of the original BPE model (0 for other models).
  public let mergeCount: Int
  /// The requested tokens that are not in the vocabulary, in request order (for the report).
  public let skippedKeepTokens: [String]
  /// The requested ids that name no token, in request order.
  public let skippedKeepIDs: [Int]

  /// The old ids kept, ascending.
  public var keptIDs: [Int] { idMap.keptIDs }

  /// Works out the plan.
  ///
  /// - Parameters:
  ///   - file: the tokenizer.json the corpus was encoded with.
  ///   - usage: what the corpus used (recorded with `file.tokenizer`).
  ///   - keepTokens: tokens to keep whatever the corpus, as vocabulary strings (`Ġhello`,
  ///     `▁hello`, `##ing`); those not in the vocabulary are listed in ``skippedKeepTokens``.
  ///   - keepIDs: ids to keep whatever the corpus (those config files name).
  ///   - minimumCount: the number of times a token must occur in the corpus to be kept for that
  ///     reason (values below 1 count as 1).
  /// - Throws: ``TokenizationError`` when the file holds ids this tool cannot rewrite or that
  ///   name no token.
  /// - Complexity: O(*n* + *m*) in the number of tokens and merges.
  public init(
    file: TokenizerFile, usage: TokenUsage, keepTokens: [String] = [], keepIDs: [Int] = [],
    minimumCount: Int = 1
  ) throws(TokenizationError) {
    let tokenizer = file.tokenizer
    let vocabulary = tokenizer.vocabulary
    let size = vocabulary.size
    var kept = BitSet(capacity: size)
    let minimumCount = max(minimumCount, 1)
    for id in 0..<size where usage.count(of: id) >= minimumCount { kept.insert(id) }
    for id in usage.piecesOfUnknownWords { kept.insert(id) }
    // Requested tokens and ids, which get merge paths of their own.
    var requested: [Int] = []
    var skippedTokens: [String] = []
    for token in keepTokens {
      if let id = vocabulary.id(of: token) { requested.append(id) } else { skippedTokens.append(token) }
    }
    var skippedIDs: [Int] = []
    for id in keepIDs {
      if vocabulary.token(of: id) != nil { requested.append(id) } else { skippedIDs.append(id) }
    }
    let references = try TokenizerIDReferences(json: file.json, path: file.path)
    for reference in references.references where vocabulary.token(of: reference.id) == nil {
      throw .malformed(
        path: file.path, what: "\(reference.name) is \(reference.id), which is no token's id")
    }
    requested += references.ids
    requested += BaseVocabulary.ids(of: tokenizer)
    for id in requested { kept.insert(id) }
    for token in vocabulary.addedTokens { kept.insert(token.id) }

    if case .bpe(let model) = tokenizer.model {
      let count = file.json["model"]?["merges"]?.elements?.count ?? 0
      let closure = MergeClosure(model: model, count: count)
      var applied = BitSet(capacity: count)
      for rank in usage.appliedMergeRanks { applied.insert(rank) }
      let added = Set(vocabulary.addedTokens.map(\.id))
      closure.addPaths(
        to: requested.filter { !added.contains($0) && usage.count(of: $0) == 0 },
        applied: &applied, model: model, path: file.path)
      closure.closePaths(of: &kept, applied: applied)
      keptMergeRanks = closure.keptRanks(kept)
      mergeCount = count
    } else {
      keptMergeRanks = nil
      mergeCount = 0
    }
    idMap = TokenIDMap(
      keptIDs: kept.members.filter { $0 < size && vocabulary.token(of: $0) != nil }, oldCount: size)
    skippedKeepTokens = skippedTokens
    skippedKeepIDs = skippedIDs
  }
}

extension VocabularyExtension {
  /// Makes each text one token of ordinary text: a chain of merges along its current
  /// tokenization, left to right (the first two tokens, then that token and the next, ...; the
  /// intermediate tokens are new tokens too), until the extended tokenizer encodes it as one
  /// token. A text the pre-tokenizer splits (it spans a pre-token boundary), that holds an added
  /// token, that already is one token, or whose tokens cannot be merged is skipped.
  ///
  /// - Parameter texts: the texts as they appear in ordinary text (` photosynthesis` with the
  ///   space the pre-tokenizer keeps; for a tokenizer that puts `▁` before every text, that
  ///   leading space is the `▁`, as inside a text).
  /// - Returns: the texts skipped, with the reason.
  /// - Complexity: the merge loop over each text, once per merge made.
  public mutating func addWords(_ texts: [String]) throws(TokenizationError) -> [SkippedWord] {
    var skipped: [SkippedWord] = []
    var seen = Set<[UInt8]>()
    // A tokenizer that puts `▁` before the text (Llama-2's Prepend, Metaspace's prepend scheme)
    // sees a word inside a text as `▁word`: a given word's leading space is that `▁`.
    let probe = tokenizer.preTokenizedPieces("x").map { $0.text.string }.joined()
    let prependsSpace = probe != "x" && probe.hasSuffix("x") && probe.hasPrefix("\u{2581}")
    for given in texts {
      guard seen.insert(Array(given.utf8)).inserted else {
        skipped.append(SkippedWord(text: given, reason: "duplicate"))
        continue
      }
      let asSeen = prependsSpace && given.hasPrefix(" ") ? String(given.dropFirst()) : given
      let pieces = tokenizer.preTokenizedPieces(asSeen).filter { $0.token != nil || !$0.text.isEmpty }
      if pieces.contains(where: { $0.token != nil }) {
        skipped.append(SkippedWord(text: given, reason: "holds an added token"))
        continue
      }
      guard pieces.count == 1, let word = pieces.first?.text else {
        skipped.append(SkippedWord(text: given, reason: "spans a pre-token boundary (the pre-tokenizer splits it)"))
        continue
      }
      let key = Array(word.string.utf8)
      if mergesEverySplit, !Self.metaspaceOnlyLeads(key) {
        skipped.append(SkippedWord(text: given, reason: "spans a word boundary (▁ inside it)"))
        continue
      }
      var observer = IgnoringObserver()
      let oldTokens = try model.tokenize(word.scalars, path: tokenizer.path, observer: &observer).map(\.id)
      var tokens = encode(oldTokens: oldTokens, word: key)
      if tokens.count <= 1 {
        skipped.append(SkippedWord(text: given, reason: "already one token"))
        continue
      }
      if let bad = tokens.first(where: { !isMergeable($0) }) {
        skipped.append(
          SkippedWord(text: given, reason: "holds \(text(of: bad).debugDescription), which takes part in no merge"))
        continue
      }
      while tokens.count > 1 {
        guard let bytes = mergedText(tokens[0], tokens[1]) else {
          skipped.append(
            SkippedWord(
              text: given,
              reason:
                "\(text(of: tokens[0]).debugDescription) + \(text(of: tokens[1]).debugDescription) cannot be merged (stopped there)"
            ))
          break
        }
        addMerge(tokens[0], tokens[1], bytes: bytes, count: 0)
        tokens = encode(oldTokens: oldTokens, word: key)
      }
    }
    return skipped
  }
}

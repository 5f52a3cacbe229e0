import StrictJSON

/// Byte-pair encoding: a word starts as its characters and the pair of adjacent symbols with the
/// best merge rank is merged until no pair has one.
struct BPEModel: Sendable {
  /// Token ids by UTF-8 bytes.
  let vocab: [TokenKey: Int]
  /// The vocabulary, for the token strings of ids.
  let vocabulary: TokenizerVocabulary
  /// For a pair of ids `(a << 32) | b`: the merge's rank in the high half, the merged id in the low.
  let merges: [UInt64: UInt64]
  let unknownToken: String?
  let continuingSubwordPrefix: String?
  let endOfWordSuffix: String?
  let fuseUnknown: Bool
  let byteFallback: Bool
  let ignoreMerges: Bool

  init(json: JSONValue, vocabulary: TokenizerVocabulary, path: String) throws(TokenizationError) {
    let context = "model"
    // Dropout makes encoding random; 0 (as null) does not.
    if let dropout = json["dropout"], !dropout.isNull, dropout.number?.double != 0 {
      throw .unsupported(
        path: path, what: "unsupported model.dropout \(JSONWriter.string(dropout)) (only null)")
    }
    unknownToken = try optionalString(json, "unk_token", context: context, path: path)
    continuingSubwordPrefix = try optionalString(
      json, "continuing_subword_prefix", context: context, path: path)
    endOfWordSuffix = try optionalString(json, "end_of_word_suffix", context: context, path: path)
    fuseUnknown = try optionalFlag(json, "fuse_unk", false, context: context, path: path)
    byteFallback = try optionalFlag(json, "byte_fallback", false, context: context, path: path)
    ignoreMerges = try optionalFlag(json, "ignore_merges", false, context: context, path: path)
    guard vocabulary.modelVocabulary.count > 0 || json["vocab"]?.members != nil else {
      throw .malformed(path: path, what: "model.vocab must be an object for a BPE model")
    }
    let vocab = vocabulary.modelVocabulary
    self.vocab = vocab
    self.vocabulary = vocabulary
    guard let mergeList = json["merges"]?.elements else {
      throw .malformed(path: path, what: "model.merges must be an array")
    }
    let prefixLength = continuingSubwordPrefix?.utf8.count ?? 0
    var merges: [UInt64: UInt64] = [:]
    merges.reserveCapacity(mergeList.count)
    for (rank, merge) in mergeList.enumerated() {
      let left: Substring
      let right: Substring
      if let text = merge.string {
        guard let space = text.utf8.firstIndex(of: UInt8(ascii: " ")) else {
          throw .malformed(
            path: path, what: "model.merges[\(rank)] must hold two tokens separated by a space")
        }
        left = text[..<space]
        right = text[text.utf8.index(after: space)...]
      } else if let pair = merge.elements, pair.count == 2, let first = pair[0].string,
        let second = pair[1].string
      {
        left = first[...]
        right = second[...]
      } else {
        throw .malformed(
          path: path, what: "model.merges[\(rank)] must be a string or a pair of strings")
      }
      guard let leftID = vocab[TokenKey(String(left))] else {
        throw .malformed(
          path: path,
          what:
            "model.merges[\(rank)]: token \(JSONWriter.quoted(String(left))) is not in the vocabulary"
        )
      }
      guard let rightID = vocab[TokenKey(String(right))] else {
        throw .malformed(
          path: path,
          what:
            "model.merges[\(rank)]: token \(JSONWriter.quoted(String(right))) is not in the vocabulary"
        )
      }
      var merged = String(left)
      if prefixLength == 0 {
        merged += right
      } else {
        let rightUTF8 = Array(right.utf8)
        guard rightUTF8.count >= prefixLength,
          let rightTail = String(validating: rightUTF8[prefixLength...], as: UTF8.self)
        else {
          throw .malformed(
            path: path,
            what:
              "model.merges[\(rank)]: \(JSONWriter.quoted(String(right))) is shorter than the subword prefix"
          )
        }
        merged += rightTail
      }
      guard let mergedID = vocab[TokenKey(merged)] else {
        throw .malformed(
          path: path,
          what:
            "model.merges[\(rank)]: merged token \(JSONWriter.quoted(merged)) is not in the vocabulary"
        )
      }
      merges[UInt64(leftID) << 32 | UInt64(rightID)] = UInt64(rank) << 32 | UInt64(mergedID)
    }
    self.merges = merges
  }

  func tokenize(_ word: [Unicode.Scalar], path: String) throws(TokenizationError) -> [(
    id: Int, token: String
  )] {
    if word.isEmpty { return [] }
    if ignoreMerges, let id = vocab[TokenKey(makeString(word))] {
      return [(id, vocabulary.modelToken(of: id) ?? makeString(word))]
    }
    var symbols: [Int] = []
    symbols.reserveCapacity(word.count)
    // The id of an unknown symbol not yet added (fused unknowns count once).
    var pendingUnknown: Int? = nil
    for (index, scalar) in word.enumerated() {
      var piece = String(scalar)
      if index > 0, let prefix = continuingSubwordPrefix { piece = prefix + piece }
      if index == word.count - 1, let suffix = endOfWordSuffix { piece += suffix }
      if let id = vocab[TokenKey(piece)] {
        if let unknown = pendingUnknown {
          symbols.append(unknown)
          pendingUnknown = nil
        }
        symbols.append(id)
        continue
      }
      if byteFallback {
        var byteIDs: [Int] = []
        for byte in piece.utf8 {
          guard let id = vocab[TokenKey(Self.byteToken(byte))] else { break }
          byteIDs.append(id)
        }
        if byteIDs.count == piece.utf8.count {
          symbols.append(contentsOf: byteIDs)
          continue
        }
      }
      if let unknownToken {
        guard let unknownID = vocab[TokenKey(unknownToken)] else {
          throw .encodingFailed(
            path: path,
            what: "model.unk_token \(JSONWriter.quoted(unknownToken)) is not in the vocabulary")
        }
        if pendingUnknown != nil && !fuseUnknown {
          symbols.append(unknownID)
        }
        pendingUnknown = unknownID
      }
    }
    if let unknown = pendingUnknown { symbols.append(unknown) }
    BPEMerger.mergeAll(&symbols, merges: merges)
    return symbols.map { ($0, vocabulary.modelToken(of: $0) ?? "") }
  }

  /// `<0xAB>`, the byte-fallback token of a byte.
  static func byteToken(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return "<0x\(digits[Int(byte >> 4)])\(digits[Int(byte & 0xF)])>"
  }
}

import StrictJSON
import SystemPackage

/// Byte-pair encoding: a word starts as its characters and the pair of adjacent symbols with the
/// best merge rank is merged until no pair has one.
struct BPEModel: Sendable {
  /// Token ids by UTF-8 bytes.
  let vocab: ByteTokenTable
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

  /// What a merge's two tokens resolve to.
  private enum Resolution {
    case merge(left: Int, right: Int, merged: Int)
    case missing(String)
    case missingMerged(String)
    case short(String)
  }

  init(json: JSONValue, vocabulary: TokenizerVocabulary, path: FilePath) throws(TokenizationError) {
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
    guard let members = json["vocab"]?.members else {
      throw .malformed(path: path, what: "model.vocab must be an object for a BPE model")
    }
    // Same ids as the vocabulary (which has checked them), later duplicates winning.
    var vocab = ByteTokenTable(capacity: members.count)
    for member in members {
      if let id = member.value.number?.int { vocab.insert(member.key, id: id) }
    }
    self.vocab = vocab
    self.vocabulary = vocabulary
    guard let mergeList = json["merges"]?.elements else {
      throw .malformed(path: path, what: "model.merges must be an array")
    }
    merges = try Self.mergeTable(
      mergeList, vocab: vocab, prefixLength: continuingSubwordPrefix?.utf8.count ?? 0, path: path)
  }

  /// The merge table from `model.merges` (each `"left right"` or `["left", "right"]`, in rank
  /// order): `left id << 32 | right id` to `rank << 32 | merged id`, every token checked against
  /// `vocab` (the right one without its `prefixLength` bytes of continuing-subword prefix).
  private static func mergeTable(
    _ mergeList: [JSONValue], vocab table: ByteTokenTable, prefixLength: Int, path: FilePath
  ) throws(TokenizationError) -> [UInt64: UInt64] {
    var merges: [UInt64: UInt64] = [:]
    merges.reserveCapacity(mergeList.count)
    var scratch: [UInt8] = []
    scratch.reserveCapacity(256)
    func resolve(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Resolution {
      Self.resolve(left, right, in: table, prefixLength: prefixLength, scratch: &scratch)
    }
    for (rank, merge) in mergeList.enumerated() {
      let resolution: Resolution
      if case .string(var text) = merge {
        let found: Resolution? = text.withUTF8 { bytes in
          guard let space = bytes.firstIndex(of: UInt8(ascii: " ")) else { return nil }
          return resolve(
            UnsafeBufferPointer(rebasing: bytes[..<space]), UnsafeBufferPointer(rebasing: bytes[(space + 1)...]))
        }
        guard let found else {
          throw .malformed(
            path: path, what: "model.merges[\(rank)] must hold two tokens separated by a space")
        }
        resolution = found
      } else if let pair = merge.elements, pair.count == 2, var first = pair[0].string,
        var second = pair[1].string
      {
        resolution = first.withUTF8 { left in second.withUTF8 { right in resolve(left, right) } }
      } else {
        throw .malformed(
          path: path, what: "model.merges[\(rank)] must be a string or a pair of strings")
      }
      let (key, value) = try entry(resolution, rank: rank, path: path)
      merges[key] = value
    }
    return merges
  }

  /// The ids of the merge of `left` and `right` (the right without its prefix), or the token
  /// that is missing from `table` (or too short).
  private static func resolve(
    _ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>, in table: ByteTokenTable,
    prefixLength: Int, scratch: inout [UInt8]
  ) -> Resolution {
    guard let leftID = table.id(of: left) else {
      return .missing(String(decoding: left, as: UTF8.self))
    }
    guard let rightID = table.id(of: right) else {
      return .missing(String(decoding: right, as: UTF8.self))
    }
    guard right.count >= prefixLength else {
      return .short(String(decoding: right, as: UTF8.self))
    }
    scratch.removeAll(keepingCapacity: true)
    scratch.append(contentsOf: left)
    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: right[prefixLength...]))
    guard let mergedID = scratch.withUnsafeBufferPointer({ table.id(of: $0) }) else {
      return .missingMerged(String(decoding: scratch, as: UTF8.self))
    }
    return .merge(left: leftID, right: rightID, merged: mergedID)
  }

  /// The merge table's entry for the merge of rank `rank`, or the error that names its missing
  /// token.
  private static func entry(
    _ resolution: Resolution, rank: Int, path: FilePath
  ) throws(TokenizationError) -> (key: UInt64, value: UInt64) {
    switch resolution {
    case .merge(let leftID, let rightID, let mergedID):
      return (UInt64(leftID) << 32 | UInt64(rightID), UInt64(rank) << 32 | UInt64(mergedID))
    case .missing(let token):
      throw .malformed(
        path: path,
        what: "model.merges[\(rank)]: token \(JSONWriter.quoted(token)) is not in the vocabulary")
    case .missingMerged(let token):
      throw .malformed(
        path: path,
        what:
          "model.merges[\(rank)]: merged token \(JSONWriter.quoted(token)) is not in the vocabulary"
      )
    case .short(let token):
      throw .malformed(
        path: path,
        what:
          "model.merges[\(rank)]: \(JSONWriter.quoted(token)) is shorter than the subword prefix")
    }
  }

  func tokenize<Observer: EncodingObserver>(
    _ word: [Unicode.Scalar], path: FilePath, observer: inout Observer
  ) throws(TokenizationError) -> [(id: Int, token: String)] {
    if word.isEmpty { return [] }
    if ignoreMerges, let id = vocab.id(of: makeString(word)) {
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
      if let id = vocab.id(of: piece) {
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
          guard let id = vocab.id(of: Self.byteToken(byte)) else { break }
          byteIDs.append(id)
        }
        if byteIDs.count == piece.utf8.count {
          symbols.append(contentsOf: byteIDs)
          continue
        }
      }
      if let unknownToken {
        guard let unknownID = vocab.id(of: unknownToken) else {
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
    BPEMerger.mergeAll(&symbols, merges: merges, observer: &observer)
    return symbols.map { ($0, vocabulary.modelToken(of: $0) ?? "") }
  }

  /// `<0xAB>`, the byte-fallback token of a byte.
  static func byteToken(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return "<0x\(digits[Int(byte >> 4)])\(digits[Int(byte & 0xF)])>"
  }
}

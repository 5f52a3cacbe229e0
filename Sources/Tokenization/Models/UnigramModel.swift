import StrictJSON
import SystemPackage

/// Unigram (SentencePiece): the split of a word whose pieces' scores sum highest (Viterbi), with
/// unknown characters scored below every piece.
struct UnigramModel: Sendable {
  /// Piece ids by UTF-8 bytes.
  let ids: [TokenKey: Int]
  let pieces: [String]
  let scores: [Double]
  let unknownID: Int?
  let byteFallback: Bool
  let minimumScore: Double
  /// The longest piece, in UTF-8 bytes.
  let longestPiece: Int

  /// The penalty below the lowest score that an unknown character costs (HF's `K_UNK_PENALTY`).
  static let unknownPenalty = 10.0

  init(json: JSONValue, path: FilePath) throws(TokenizationError) {
    guard let vocab = json["vocab"]?.elements else {
      throw .malformed(
        path: path, what: "model.vocab must be an array of [piece, score] for a Unigram model")
    }
    var ids: [TokenKey: Int] = [:]
    var pieces: [String] = []
    var scores: [Double] = []
    var longest = 0
    for (index, entry) in vocab.enumerated() {
      guard let pair = entry.elements, pair.count == 2, let piece = pair[0].string,
        let score = pair[1].number?.double
      else {
        throw .malformed(path: path, what: "model.vocab[\(index)] must be a [piece, score] pair")
      }
      ids[TokenKey(piece)] = index
      pieces.append(piece)
      scores.append(score)
      longest = max(longest, piece.utf8.count)
    }
    self.ids = ids
    self.pieces = pieces
    self.scores = scores
    longestPiece = longest
    minimumScore = scores.min() ?? 0
    if let value = json["unk_id"], !value.isNull {
      guard let id = value.number?.int, id >= 0, id < pieces.count else {
        throw .malformed(path: path, what: "model.unk_id must be the index of a piece")
      }
      unknownID = id
    } else {
      unknownID = nil
    }
    byteFallback = try optionalFlag(json, "byte_fallback", false, context: "model", path: path)
  }

  /// The best split's pieces as strings (unknown runs fused into one string).
  func split(_ word: [Unicode.Scalar]) -> [String] {
    if word.isEmpty { return [] }
    let (bestStart, bestID) = bestPath(through: word)
    return pieces(of: word, bestStart: bestStart, bestID: bestID)
  }

  /// The Viterbi pass over `word`: for each end `i` (0...count), the start and the id of the last
  /// piece on the best-scoring path through `word[..<i]` (a scalar that starts no piece of its own
  /// is an unknown piece, scored below every piece).
  private func bestPath(through word: [Unicode.Scalar]) -> (start: [Int], id: [Int]) {
    let count = word.count
    let unknownScore = minimumScore - Self.unknownPenalty
    // best[i]: the best path ending before scalar i.
    var bestScore = [Double](repeating: 0, count: count + 1)
    var bestStart = [Int](repeating: -1, count: count + 1)
    var bestID = [Int](repeating: -1, count: count + 1)
    bestStart[0] = 0
    var byteLengths: [Int] = word.map { $0.utf8.count }
    byteLengths.append(0)
    for start in 0..<count {
      let scoreHere = bestScore[start]
      var hasSingle = false
      var bytes = 0
      var end = start
      var candidate = ""
      while end < count {
        bytes += byteLengths[end]
        if bytes > longestPiece { break }
        candidate.unicodeScalars.append(word[end])
        end += 1
        if let id = ids[TokenKey(candidate)] {
          let score = scores[id] + scoreHere
          if bestStart[end] < 0 || score > bestScore[end] {
            bestScore[end] = score
            bestStart[end] = start
            bestID[end] = id
          }
          if end == start + 1 { hasSingle = true }
        }
      }
      if !hasSingle {
        let score = unknownScore + scoreHere
        if bestStart[start + 1] < 0 || score > bestScore[start + 1] {
          bestScore[start + 1] = score
          bestStart[start + 1] = start
          bestID[start + 1] = unknownID ?? -1
        }
      }
    }
    return (bestStart, bestID)
  }

  /// The pieces of the best path, from the ends' `bestStart` and `bestID`, with each run of
  /// unknown pieces fused into one string.
  private func pieces(of word: [Unicode.Scalar], bestStart: [Int], bestID: [Int]) -> [String] {
    var result: [String] = []
    var unknownRun: [String] = []
    var end = word.count
    while end > 0 {
      let start = bestStart[end]
      let piece = makeString(word[start..<end])
      if let unknownID, bestID[end] == unknownID {
        unknownRun.append(piece)
      } else {
        if !unknownRun.isEmpty {
          result.append(unknownRun.reversed().joined())
          unknownRun = []
        }
        result.append(piece)
      }
      end = start
    }
    if !unknownRun.isEmpty { result.append(unknownRun.reversed().joined()) }
    return result.reversed()
  }

  func tokenize(_ word: [Unicode.Scalar], path: FilePath) throws(TokenizationError) -> [(
    id: Int, token: String
  )] {
    var result: [(id: Int, token: String)] = []
    for piece in split(word) {
      if let id = ids[TokenKey(piece)] {
        result.append((id, piece))
        continue
      }
      if byteFallback {
        var byteTokens: [(id: Int, token: String)] = []
        for byte in piece.utf8 {
          let name = BPEModel.byteToken(byte)
          guard let id = ids[TokenKey(name)] else { break }
          byteTokens.append((id, name))
        }
        if byteTokens.count == piece.utf8.count {
          result.append(contentsOf: byteTokens)
          continue
        }
      }
      guard let unknownID else {
        throw .encodingFailed(
          path: path, what: "the Unigram model has no unk_id for \(JSONWriter.quoted(piece))")
      }
      result.append((unknownID, piece))
    }
    return result
  }
}

import SystemPackage

/// The BPE side of a trim: the tokens on the merge paths of the kept tokens, and the merges kept.
///
/// Why the encodings of the corpus do not change: BPE applies, again and again, the present pair
/// of lowest rank (leftmost first). If the trimmed merges include every merge the corpus applied,
/// then at each step of a corpus run the merge applied is still present and still the lowest
/// ranked (the others are a subset of the old ones), and at the end no pair merges (none did
/// before). So the kept merges are the applied ones plus any whose two parts and result are all
/// kept, in their old order; and every part and result of an applied merge that leads to a kept
/// token is kept. The paths are the ones recorded while encoding, so when several merges build
/// the same token (BPE converted from SentencePiece) the ones the corpus took are kept.
struct MergeClosure {
  /// For each rank: the left part, the right part and the result (-1 for a merge shadowed by a
  /// later one of the same pair, which never applies).
  private let left: [Int32]
  private let right: [Int32]
  private let result: [Int32]

  /// The merge table of `model`, which `model.merges` lists `count` merges.
  init(model: BPEModel, count: Int) {
    var left = [Int32](repeating: -1, count: count)
    var right = [Int32](repeating: -1, count: count)
    var result = [Int32](repeating: -1, count: count)
    for (pair, merge) in model.merges {
      let rank = Int(merge >> 32)
      guard rank < count else { continue }
      left[rank] = Int32(truncatingIfNeeded: pair >> 32)
      right[rank] = Int32(truncatingIfNeeded: pair & 0xFFFF_FFFF)
      result[rank] = Int32(truncatingIfNeeded: merge & 0xFFFF_FFFF)
    }
    self.left = left
    self.right = right
    self.result = result
  }

  /// The number of merges in the file.
  package var count: Int { result.count }

  /// Adds to `applied` a merge path to each token of `tokens` that the corpus did not produce:
  /// the merges BPE applies to the token's own characters when that gives the token (so it is
  /// reachable as a word of its own), else the lowest-ranked merge that builds it and, in turn,
  /// paths to that merge's parts.
  func addPaths(
    to tokens: [Int], applied: inout BitSet, model: BPEModel, path: FilePath
  ) {
    var producers = self.producers(of: applied)
    var lowest: [Int32: Int]? = nil
    var visited = BitSet()
    for token in tokens {
      reach(token)
    }
    func reach(_ token: Int) {
      guard visited.insert(token), producers[Int32(token)] == nil else { return }
      if model.continuingSubwordPrefix == nil, model.endOfWordSuffix == nil,
        let text = model.vocabulary.modelToken(of: token)
      {
        var recorder = RankRecorder()
        let output = try? model.tokenize(
          Array(text.unicodeScalars), path: path, observer: &recorder)
        if let output, output.count == 1, output[0].id == token {
          for rank in recorder.ranks { record(rank) }
          return
        }
      }
      if lowest == nil {
        var table: [Int32: Int] = [:]
        for rank in result.indices.reversed() where result[rank] >= 0 { table[result[rank]] = rank }
        lowest = table
      }
      guard let rank = lowest?[Int32(token)] else { return }
      record(rank)
      reach(Int(left[rank]))
      reach(Int(right[rank]))
    }
    func record(_ rank: Int) {
      if applied.insert(rank) { producers[result[rank], default: []].append(rank) }
    }
  }

  /// Adds to `kept` every part of every merge in `applied` that builds a kept token, until no
  /// more are added.
  ///
  /// - Complexity: O(*m* + *k*) in the number of applied merges and kept tokens.
  func closePaths(of kept: inout BitSet, applied: BitSet) {
    let producers = self.producers(of: applied)
    var pending = kept.members
    while let token = pending.popLast() {
      for rank in producers[Int32(token)] ?? [] {
        for part in [Int(left[rank]), Int(right[rank])] where kept.insert(part) {
          pending.append(part)
        }
      }
    }
  }

  /// The ranks, ascending, of the merges whose two parts and result are all in `kept`.
  func keptRanks(_ kept: BitSet) -> [Int] {
    result.indices.filter { rank in
      result[rank] >= 0 && kept.contains(Int(result[rank])) && kept.contains(Int(left[rank]))
        && kept.contains(Int(right[rank]))
    }
  }

  /// The merges of `applied` by the token they build.
  private func producers(of applied: BitSet) -> [Int32: [Int]] {
    var producers: [Int32: [Int]] = [:]
    for rank in applied.members where rank < result.count && result[rank] >= 0 {
      producers[result[rank], default: []].append(rank)
    }
    return producers
  }
}

/// Collects the ranks of the merges applied to one word.
private struct RankRecorder: EncodingObserver {
  var ranks: [Int] = []
  mutating func appliedMerge(rank: Int) { ranks.append(rank) }
  func matchedPieceOfUnknownWord(id: Int) {}
}

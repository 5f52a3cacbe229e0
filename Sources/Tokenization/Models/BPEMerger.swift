/// Applies BPE merges to one word's symbols the way HF's `Word::merge_all` does: a min-heap of
/// candidate merges ordered by rank then position, symbols in a linked list, and an entry
/// skipped when the pair at its position no longer merges into the same token.
///
/// - Complexity: O(*n* log *n*) in the number of symbols.
struct BPEMerger {
  private struct Candidate {
    var rank: UInt32
    var position: Int
    var newID: UInt32

    static func < (lhs: Candidate, rhs: Candidate) -> Bool {
      lhs.rank != rhs.rank ? lhs.rank < rhs.rank : lhs.position < rhs.position
    }
  }

  private var heap: [Candidate] = []

  private mutating func push(_ candidate: Candidate) {
    heap.append(candidate)
    var child = heap.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      if !(heap[child] < heap[parent]) { break }
      heap.swapAt(child, parent)
      child = parent
    }
  }

  private mutating func pop() -> Candidate? {
    guard let top = heap.first else { return nil }
    let last = heap.removeLast()
    if !heap.isEmpty {
      heap[0] = last
      var parent = 0
      while true {
        let left = 2 * parent + 1
        let right = left + 1
        var smallest = parent
        if left < heap.count && heap[left] < heap[smallest] { smallest = left }
        if right < heap.count && heap[right] < heap[smallest] { smallest = right }
        if smallest == parent { break }
        heap.swapAt(parent, smallest)
        parent = smallest
      }
    }
    return top
  }

  /// Merges `symbols` (token ids) in place with `merges` (pair `(a << 32) | b` → rank in the high
  /// half, merged id in the low half).
  static func mergeAll(_ symbols: inout [Int], merges: [UInt64: UInt64]) {
    var observer = IgnoringObserver()
    mergeAll(&symbols, merges: merges, observer: &observer)
  }

  /// ``mergeAll(_:merges:)``, telling `observer` the rank of each merge applied.
  static func mergeAll<Observer: EncodingObserver>(
    _ symbols: inout [Int], merges: [UInt64: UInt64], observer: inout Observer
  ) {
    let count = symbols.count
    if count < 2 { return }
    func lookup(_ left: Int, _ right: Int) -> (rank: UInt32, id: UInt32)? {
      guard let merge = merges[UInt64(left) << 32 | UInt64(right)] else { return nil }
      return (UInt32(truncatingIfNeeded: merge >> 32), UInt32(truncatingIfNeeded: merge))
    }
    var ids = symbols
    var previous = Array(-1..<(count - 1))
    var next = Array(1...count)
    next[count - 1] = -1
    var removed = [Bool](repeating: false, count: count)
    var merger = BPEMerger()
    merger.heap.reserveCapacity(count)
    for position in 0..<(count - 1) {
      if let merge = lookup(ids[position], ids[position + 1]) {
        merger.push(Candidate(rank: merge.rank, position: position, newID: merge.id))
      }
    }
    while let top = merger.pop() {
      let position = top.position
      if removed[position] { continue }
      let right = next[position]
      if right < 0 { continue }
      guard let current = lookup(ids[position], ids[right]), current.id == top.newID else {
        continue
      }
      observer.appliedMerge(rank: Int(top.rank))
      ids[position] = Int(top.newID)
      removed[right] = true
      let afterRight = next[right]
      next[position] = afterRight
      if afterRight >= 0 { previous[afterRight] = position }
      let before = previous[position]
      if before >= 0, let merge = lookup(ids[before], ids[position]) {
        merger.push(Candidate(rank: merge.rank, position: before, newID: merge.id))
      }
      if afterRight >= 0, let merge = lookup(ids[position], ids[afterRight]) {
        merger.push(Candidate(rank: merge.rank, position: position, newID: merge.id))
      }
    }
    symbols.removeAll(keepingCapacity: true)
    var position = 0
    while position >= 0 {
      symbols.append(ids[position])
      position = next[position]
    }
  }
}

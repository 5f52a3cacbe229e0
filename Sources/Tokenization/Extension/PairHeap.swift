/// A max-heap of `(count, pair)` entries for the merge learner: the largest count first, then
/// the smallest pair key (`left << 32 | right`, so the smallest left id, then right id).
///
/// Entries go stale when a pair's count changes; the learner checks each popped entry against
/// the current count (lazy deletion) and pushes a fresh entry whenever a count grows.
struct PairHeap {
  struct Entry: Equatable {
    var count: Int
    var pair: UInt64

    /// Whether `self` comes out before `other`.
    @inline(__always) func precedes(_ other: Entry) -> Bool {
      count != other.count ? count > other.count : pair < other.pair
    }
  }

  private var entries: [Entry] = []

  var isEmpty: Bool { entries.isEmpty }

  /// - Complexity: O(log *n*).
  mutating func push(_ entry: Entry) {
    entries.append(entry)
    var child = entries.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard entries[child].precedes(entries[parent]) else { break }
      entries.swapAt(child, parent)
      child = parent
    }
  }

  /// The first entry, removed.
  ///
  /// - Complexity: O(log *n*).
  mutating func pop() -> Entry? {
    guard let top = entries.first else { return nil }
    let last = entries.removeLast()
    if !entries.isEmpty {
      entries[0] = last
      var parent = 0
      while true {
        let left = 2 * parent + 1
        let right = left + 1
        var first = parent
        if left < entries.count, entries[left].precedes(entries[first]) { first = left }
        if right < entries.count, entries[right].precedes(entries[first]) { first = right }
        if first == parent { break }
        entries.swapAt(parent, first)
        parent = first
      }
    }
    return top
  }
}

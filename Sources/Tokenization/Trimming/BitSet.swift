/// A set of small non-negative integers (ids, merge ranks), one bit each, grown on demand.
struct BitSet: Sendable, Equatable {
  private var words: [UInt64]

  /// An empty set.
  init() { words = [] }

  /// An empty set with room for `0..<capacity` without growing.
  init(capacity: Int) { words = [UInt64](repeating: 0, count: (max(capacity, 0) + 63) / 64) }

  /// Whether `member` is in the set (negative numbers never are).
  @inline(__always) func contains(_ member: Int) -> Bool {
    guard member >= 0 else { return false }
    let word = member >> 6
    return word < words.count && words[word] & (1 << UInt64(member & 63)) != 0
  }

  /// Adds `member` (ignored when negative).
  ///
  /// - Returns: whether it was not in the set before.
  @inline(__always) @discardableResult
  package mutating func insert(_ member: Int) -> Bool {
    guard member >= 0 else { return false }
    let word = member >> 6
    if word >= words.count {
      words.append(contentsOf: repeatElement(0, count: word + 1 - words.count))
    }
    let bit: UInt64 = 1 << UInt64(member & 63)
    if words[word] & bit != 0 { return false }
    words[word] |= bit
    return true
  }

  /// Adds every member of `other`.
  mutating func formUnion(_ other: BitSet) {
    if other.words.count > words.count {
      words.append(contentsOf: repeatElement(0, count: other.words.count - words.count))
    }
    for (index, word) in other.words.enumerated() { words[index] |= word }
  }

  /// The members, ascending.
  var members: [Int] {
    var result: [Int] = []
    for (index, word) in words.enumerated() where word != 0 {
      var bits = word
      while bits != 0 {
        result.append(index << 6 | bits.trailingZeroBitCount)
        bits &= bits - 1
      }
    }
    return result
  }

  /// The number of members.
  package var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
}

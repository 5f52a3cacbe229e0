/// Sorted row or token ids grouped into runs of consecutive ids, for compact reports.
///
/// JSON: `[[first, last], ...]`, inclusive.
public struct IDRanges: Encodable, Sendable, Equatable {
  /// The runs, ascending and disjoint, each as a closed range.
  public private(set) var ranges: [ClosedRange<Int>]

  /// Groups `ids` (in any order; duplicates are ignored) into runs of consecutive ids.
  ///
  /// - Complexity: O(*n* log *n*).
  public init<S: Sequence<Int>>(_ ids: S) {
    var ranges: [ClosedRange<Int>] = []
    for id in Set(ids).sorted() {
      if let last = ranges.last, last.upperBound + 1 == id {
        ranges[ranges.count - 1] = last.lowerBound...id
      } else {
        ranges.append(id...id)
      }
    }
    self.ranges = ranges
  }

  /// The number of ids.
  public var count: Int { ranges.reduce(0) { $0 + $1.count } }

  /// `"3, 7-9, 12"` (runs of two ids are written as two ids).
  public var text: String {
    ranges.map { range in
      switch range.count {
      case 1: "\(range.lowerBound)"
      case 2: "\(range.lowerBound), \(range.upperBound)"
      default: "\(range.lowerBound)-\(range.upperBound)"
      }
    }.joined(separator: ", ")
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.unkeyedContainer()
    for range in ranges { try container.encode([range.lowerBound, range.upperBound]) }
  }
}

/// Where each row of a rewritten matrix comes from, in output order: runs of original rows kept
/// as they are, and runs of rows a ``RowSource`` writes. The one description of a surgery's rows:
/// resize appends written rows (and rewrites some), fix-untrained rewrites rows in place, trim
/// keeps a subset of the rows.
///
/// Original runs may come in any order (a gather, a permutation); the written rows are numbered
/// 0, 1, 2... in output order, and a ``RowSource`` is asked for them by those numbers.
public struct RowMap: Sendable, Equatable {
  /// A run of output rows.
  package enum Run: Sendable, Equatable {
    /// Original rows, copied as they are.
    case original(Range<Int>)
    /// Rows the initializers write: indices into the plan's list of written rows, in order.
    case written(Range<Int>)

    /// The number of rows.
    package var count: Int {
      switch self {
      case .original(let rows), .written(let rows): rows.count
      }
    }
  }

  /// The runs, in output order.
  package let runs: [Run]

  /// A map of `runs`, in output order.
  package init(runs: [Run]) {
    self.runs = runs
  }

  /// The number of output rows.
  package var count: Int { runs.reduce(0) { $0 + $1.count } }

  /// The number of written rows (what a ``RowSource`` is asked for).
  package var writtenCount: Int {
    runs.reduce(0) { if case .written(let rows) = $1 { $0 + rows.count } else { $0 } }
  }

  /// Whether the map keeps the `rows` original rows as they are (then nothing is rewritten).
  package func isIdentity(rows: Int) -> Bool {
    rows == 0 ? runs.isEmpty : runs == [.original(0..<rows)]
  }

  /// The `rows` original rows, with the rows `writtenIDs` (ascending, distinct; ids at or past
  /// `rows` are appended) written, the matrix growing to `rowsAfter` rows. The written rows are
  /// numbered in the order of `writtenIDs`; rows appended but not in `writtenIDs` cannot exist.
  ///
  /// - Precondition: every id from `rows` to `rowsAfter` is in `writtenIDs`.
  package static func rewriting(rows: Int, writtenIDs: [Int], rowsAfter: Int) -> RowMap {
    var runs: [Run] = []
    var cursor = 0
    var written = 0
    func addOriginal(upTo end: Int) {
      if end > cursor { runs.append(.original(cursor..<end)) }
      cursor = max(cursor, end)
    }
    var index = 0
    while index < writtenIDs.count {
      let id = writtenIDs[index]
      addOriginal(upTo: min(id, rows))
      var end = index + 1
      while end < writtenIDs.count, writtenIDs[end] == writtenIDs[end - 1] + 1 { end += 1 }
      runs.append(.written(written..<(written + end - index)))
      written += end - index
      cursor = writtenIDs[end - 1] + 1
      index = end
    }
    addOriginal(upTo: rows)
    let map = RowMap(runs: runs)
    precondition(map.count == rowsAfter, "\(map.count) rows have a source, \(rowsAfter) were planned")
    return map
  }

  /// The original rows `keptIDs` (ascending, distinct), in that order.
  package static func gathering(_ keptIDs: [Int]) -> RowMap {
    var runs: [Run] = []
    var index = 0
    while index < keptIDs.count {
      var end = index + 1
      while end < keptIDs.count, keptIDs[end] == keptIDs[end - 1] + 1 { end += 1 }
      runs.append(.original(keptIDs[index]..<(keptIDs[end - 1] + 1)))
      index = end
    }
    return RowMap(runs: runs)
  }
}

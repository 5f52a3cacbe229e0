/// The renumbering of a trimmed vocabulary: the kept ids, ascending, take the new ids 0, 1, 2, …
/// in the same order (dense and order-preserving).
public struct TokenIDMap: Sendable, Equatable {
  /// The old ids kept, ascending; `keptIDs[n]` is the old id of new id `n`.
  public let keptIDs: [Int]
  /// The number of old ids (the old vocabulary's size).
  public let oldCount: Int
  /// The new id of each old id, or -1.
  private let newIDs: [Int32]

  /// The map that keeps `keptIDs` out of `0..<oldCount`.
  ///
  /// - Parameter keptIDs: ascending, without repeats, each in `0..<oldCount`.
  init(keptIDs: [Int], oldCount: Int) {
    self.keptIDs = keptIDs
    self.oldCount = oldCount
    var newIDs = [Int32](repeating: -1, count: oldCount)
    for (new, old) in keptIDs.enumerated() { newIDs[old] = Int32(new) }
    self.newIDs = newIDs
  }

  /// The number of ids kept (the new vocabulary's size).
  public var newCount: Int { keptIDs.count }

  /// The new id of `oldID`, or `nil` when it was removed or is out of range.
  ///
  /// - Complexity: O(1).
  public subscript(oldID: Int) -> Int? {
    guard oldID >= 0 && oldID < oldCount else { return nil }
    let new = newIDs[oldID]
    return new < 0 ? nil : Int(new)
  }

  /// The old id of `newID`, or `nil` when out of range.
  ///
  /// - Complexity: O(1).
  public func oldID(of newID: Int) -> Int? {
    newID >= 0 && newID < keptIDs.count ? keptIDs[newID] : nil
  }
}

import CBLAS

/// Columns G[:, s] = Dict · dₛ of a dictionary's Gram matrix, kept for one
/// ``OrthogonalMatchingPursuit`` run in a fixed number of slots of `N` floats each.
///
/// The pursuit pins the columns of the atoms its targets have chosen for as long as it uses them;
/// an unpinned column stays until its slot is needed, and the unpinned column used least often
/// gives its slot up first (the lowest slot on ties), so the columns of popular atoms are computed
/// once for all the targets that choose them.
///
/// Every decision (which columns are computed together, which slot is evicted) depends only on the
/// sequence of requests, never on timing: `acquire` and `release` are called by one thread, between
/// the parallel phases of the pursuit, and the missing columns are computed in fixed groups of
/// ``groupSize`` atoms (in the order asked for), each group one `sgemm` over the dictionary. An
/// optimized BLAS may round a column differently with other columns beside it, but the groups are
/// the same on any number of threads, so the result is too.
final class GramColumnCache: @unchecked Sendable {
  /// Atoms whose columns one `sgemm` computes.
  static let groupSize = 16

  /// Rows of the dictionary (the length of a column).
  let anchorCount: Int
  let width: Int
  /// The number of slots.
  let capacity: Int
  private let dictionary: UnsafeBufferPointer<Float>
  /// `capacity × anchorCount` floats; slot `i` is `storage[i * anchorCount ..< (i + 1) * anchorCount]`.
  private let storage: UnsafeMutableBufferPointer<Float>

  /// The slot holding each atom's column, or -1.
  private var slotOfAtom: [Int32]
  /// The atom in each slot, or -1.
  private var atomInSlot: [Int32]
  /// How many targets use each slot now.
  private var pins: [Int32]
  /// How many times each slot's column was asked for.
  private var uses: [Int]
  private var nextFreeSlot = 0
  /// Columns computed and asked for (for the benchmark and the documentation).
  private(set) var computed = 0
  private(set) var requested = 0

  /// - Precondition: `dictionary.count == anchorCount * width`, `capacity >= 1`.
  init(dictionary: UnsafeBufferPointer<Float>, anchorCount: Int, width: Int, capacity: Int) {
    precondition(dictionary.count == anchorCount * width, "a dictionary of \(dictionary.count) floats")
    precondition(capacity >= 1, "a Gram column cache of \(capacity) slots")
    self.dictionary = dictionary
    self.anchorCount = anchorCount
    self.width = width
    self.capacity = capacity
    // Pages are touched only as slots fill, so an unused capacity costs address space, not memory.
    storage = .allocate(capacity: capacity * anchorCount)
    slotOfAtom = Array(repeating: -1, count: anchorCount)
    atomInSlot = Array(repeating: -1, count: capacity)
    pins = Array(repeating: 0, count: capacity)
    uses = Array(repeating: 0, count: capacity)
  }

  deinit { storage.deallocate() }

  /// The column held in `slot` (valid while the slot is pinned).
  func column(_ slot: Int) -> UnsafePointer<Float> {
    UnsafePointer(storage.baseAddress.unsafelyUnwrapped + slot * anchorCount)
  }

  /// Pins the column of each atom in `atoms` (an atom listed twice is pinned twice) and returns
  /// their slots, computing the missing columns on up to `threads` threads.
  ///
  /// - Precondition: the pinned columns never outnumber the slots (the caller's memory plan).
  func acquire(_ atoms: [Int32], threads: Int) -> [Int] {
    var slots = [Int](repeating: -1, count: atoms.count)
    var missing: [(atom: Int32, slot: Int)] = []
    for (index, atom) in atoms.enumerated() {
      var slot = Int(slotOfAtom[Int(atom)])
      if slot < 0 {
        slot = freeSlot()
        let evicted = atomInSlot[slot]
        if evicted >= 0 { slotOfAtom[Int(evicted)] = -1 }
        atomInSlot[slot] = atom
        slotOfAtom[Int(atom)] = Int32(slot)
        uses[slot] = 0
        missing.append((atom, slot))
      }
      pins[slot] += 1
      uses[slot] += 1
      slots[index] = slot
    }
    requested += atoms.count
    computed += missing.count
    let groups = (missing.count + Self.groupSize - 1) / Self.groupSize
    let missingColumns = missing
    _ = ParallelWork.map(groups, threads: threads) { group in
      self.compute(missingColumns[group * Self.groupSize..<min(missingColumns.count, (group + 1) * Self.groupSize)])
    }
    return slots
  }

  /// Unpins the slots `acquire` returned.
  func release(_ slots: [Int]) {
    for slot in slots { pins[slot] -= 1 }
  }

  /// A slot never used, or else the unpinned slot asked for least often (the lowest on ties).
  private func freeSlot() -> Int {
    if nextFreeSlot < capacity {
      nextFreeSlot += 1
      return nextFreeSlot - 1
    }
    var best = -1
    for slot in 0..<capacity where pins[slot] == 0 {
      if best < 0 || uses[slot] < uses[best] { best = slot }
    }
    precondition(best >= 0, "every Gram column slot is pinned: the memory plan is wrong")
    return best
  }

  /// Computes the columns of `missing` into their slots: Dict · [d_a, d_b, ...] in one `sgemm`.
  private func compute(_ missing: ArraySlice<(atom: Int32, slot: Int)>) {
    let count = missing.count
    let width = self.width
    let anchorCount = self.anchorCount
    let slots = storage.baseAddress.unsafelyUnwrapped
    guard let dictionary = self.dictionary.baseAddress, width > 0 else {
      for entry in missing { (slots + entry.slot * anchorCount).update(repeating: 0, count: anchorCount) }
      return
    }
    // The atoms' rows side by side, then their columns (count × N, row-major) in scratch, copied to
    // the slots (which are not contiguous).
    let atomRows = UnsafeMutableBufferPointer<Float>.allocate(capacity: count * width)
    let product = UnsafeMutableBufferPointer<Float>.allocate(capacity: count * anchorCount)
    defer {
      atomRows.deallocate()
      product.deallocate()
    }
    for (index, entry) in missing.enumerated() {
      (atomRows.baseAddress.unsafelyUnwrapped + index * width).update(
        from: dictionary + Int(entry.atom) * width, count: width)
    }
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(anchorCount), Int32(width), 1,
      atomRows.baseAddress, Int32(width), dictionary, Int32(width), 0, product.baseAddress, Int32(anchorCount))
    for (index, entry) in missing.enumerated() {
      (slots + entry.slot * anchorCount).update(
        from: product.baseAddress.unsafelyUnwrapped + index * anchorCount, count: anchorCount)
    }
  }
}

/// The dynamic program that chooses, for one set of movers, which tensors keep the input's order.
///
/// The tensors are taken in the input's order (``LayoutContext/natural``). Each is either kept
/// (written next, at the output cursor) or moved to the tail: movers first (in
/// ``LayoutContext/orderedMovers(_:)`` order), then the other moved tensors (fillers) and the new
/// tensors, by alignment. Only the cursor's residue modulo the block size matters to what a kept
/// tensor shares, so the state is that residue, plus whether a filler was moved (the fillers then
/// need an aligned start). The data section's residue is free (the header's padding sets it), with
/// the input's remainder modulo 8; the movers' residues follow from the final state.
///
/// Values are in quarter bytes, so that ties go to fewer moves (−2 each) and to the input's own
/// data offset (+1).
struct LayoutSearch {
  let context: LayoutContext
  private let mask: Int
  /// Two bits per tensor and residue: how the state with a moved filler was reached.
  private var decisions: [UInt8] = []

  /// The value of a state no layout reaches; values stay far above it and below it plus any
  /// gain, so the loops need no test (far below `unreachable / 2` is still unreachable).
  private static let unreachable = Int.min / 4
  private enum Step: UInt8 {
    case kept = 0
    case movedFirst = 1
    case movedAgain = 2
  }

  init(context: LayoutContext) {
    self.context = context
    mask = context.blockSize - 1
  }

  /// The best arrangement with `movers` (positions in ``LayoutContext/natural``) moved, or `nil`
  /// when none keeps every tensor aligned.
  ///
  /// - Complexity: O(*t* · *B*) for *t* tensors and a block size of *B*.
  mutating func run(movers: [Int]) -> LayoutArrangement? {
    let blockSize = context.blockSize
    let count = context.natural.count
    let isMover = Set(movers)
    decisions = [UInt8](repeating: 0, count: count * blockSize / 4)
    var withoutFiller = [Int](repeating: Self.unreachable, count: blockSize)
    var withFiller = withoutFiller
    let start = context.inputDataStart & mask
    for residue in stride(from: start & 7, to: blockSize, by: 8) {
      withoutFiller[residue] = residue == start ? 1 : 0
    }
    var nextWithout = withoutFiller
    var nextWith = withFiller
    var steps = [UInt8](repeating: 0, count: blockSize)
    for position in 0..<count {
      let item = context.items[context.natural[position]]
      // What the next tensor loses of its first block when this one is not kept before it.
      let loss =
        position + 1 < count && !isMover.contains(position + 1)
        ? 4 * (Self.best(context.keptValues[position + 1]) - Self.best(context.aloneValues[position + 1])) : 0
      if isMover.contains(position) {
        for residue in 0..<blockSize {
          withoutFiller[residue] -= loss
          withFiller[residue] -= loss
        }
        continue
      }
      let shift = item.size & mask
      let alignmentMask = item.alignment - 1
      let moveCost = loss + 2
      Self.moveOrKeepAll(
        shift: shift, alignmentMask: alignmentMask, moveCost: moveCost, from: withoutFiller, withFiller,
        to: &nextWithout, &nextWith, steps: &steps)
      for (residue, bytes) in context.keptValues[position] where residue & alignmentMask == 0 {
        let target = (residue + shift) & mask
        nextWithout[target] = withoutFiller[residue] + 4 * bytes
        if withFiller[residue] + 4 * bytes >= nextWith[target] {
          nextWith[target] = withFiller[residue] + 4 * bytes
          steps[target] = Step.kept.rawValue
        }
      }
      record(steps, at: position)
      swap(&withoutFiller, &nextWithout)
      swap(&withFiller, &nextWith)
    }
    return finish(movers: movers, withoutFiller: withoutFiller, withFiller: withFiller)
  }

  /// One tensor's transitions for every target residue, from the states `without` and `with` (no
  /// filler moved yet, one moved) to `nextWithout` and `nextWith`, with each step taken: in two
  /// contiguous passes (the source residue wraps around once), without branches.
  private static func moveOrKeepAll(
    shift: Int, alignmentMask: Int, moveCost: Int, from without: [Int], _ with: [Int],
    to nextWithout: inout [Int], _ nextWith: inout [Int], steps: inout [UInt8]
  ) {
    let blockSize = without.count
    without.withUnsafeBufferPointer { without in
      with.withUnsafeBufferPointer { with in
        nextWithout.withUnsafeMutableBufferPointer { nextWithout in
          nextWith.withUnsafeMutableBufferPointer { nextWith in
            steps.withUnsafeMutableBufferPointer { steps in
              step(
                targets: shift..<blockSize, offset: -shift, alignmentMask: alignmentMask, moveCost: moveCost,
                without: without, with: with, nextWithout: nextWithout, nextWith: nextWith, steps: steps)
              step(
                targets: 0..<shift, offset: blockSize - shift, alignmentMask: alignmentMask, moveCost: moveCost,
                without: without, with: with, nextWithout: nextWithout, nextWith: nextWith, steps: steps)
            }
          }
        }
      }
    }
  }

  /// Packs the steps taken for the tensor at `position` (two bits per residue) into ``decisions``.
  private mutating func record(_ steps: [UInt8], at position: Int) {
    let blockSize = context.blockSize
    let base = position * blockSize / 4
    for residue in stride(from: 0, to: blockSize, by: 4) {
      decisions[base + residue / 4] =
        steps[residue] | steps[residue + 1] << 2 | steps[residue + 2] << 4 | steps[residue + 3] << 6
    }
  }

  /// One tensor's transitions for `targets`, whose source residues are `target + offset`: kept
  /// (from the source, when aligned) or moved (the state stays, a filler is now moved).
  @inline(__always)
  private static func step(
    targets: Range<Int>, offset: Int, alignmentMask: Int, moveCost: Int,
    without: UnsafeBufferPointer<Int>, with: UnsafeBufferPointer<Int>,
    nextWithout: UnsafeMutableBufferPointer<Int>, nextWith: UnsafeMutableBufferPointer<Int>,
    steps: UnsafeMutableBufferPointer<UInt8>
  ) {
    for target in targets {
      let source = target &+ offset
      let aligned = source & alignmentMask == 0
      let keptWithout = aligned ? without[source] : unreachable
      let keptWith = aligned ? with[source] : unreachable
      let first = without[target] &- moveCost
      let again = with[target] &- moveCost
      let moved = again > first ? again : first
      let takeMoved = moved > keptWith
      nextWithout[target] = keptWithout
      nextWith[target] = takeMoved ? moved : keptWith
      steps[target] =
        takeMoved ? (again > first ? Step.movedAgain.rawValue : Step.movedFirst.rawValue) : Step.kept.rawValue
    }
  }

  /// Picks the best final state (movers aligned, the tail aligned) and walks the decisions back.
  private func finish(movers: [Int], withoutFiller: [Int], withFiller: [Int]) -> LayoutArrangement? {
    let ordered = context.orderedMovers(movers)
    let moversSize = ordered.reduce(0) { $0 + context.items[context.natural[$1]].size }
    let freshAlignment = context.freshOnly.map { context.items[$0].alignment }.max() ?? 1
    var best: (value: Int, residue: Int, filler: Bool)?
    for filler in [false, true] {
      let values = filler ? withFiller : withoutFiller
      let required = (filler ? context.alignmentCap : freshAlignment) - 1
      for end in 0..<context.blockSize where values[end] > Self.unreachable / 2 {
        guard (end + moversSize) & required == 0 else { continue }
        var cursor = end
        var total = values[end]
        var aligned = true
        for position in ordered {
          let item = context.items[context.natural[position]]
          if cursor & (item.alignment - 1) != 0 { aligned = false }
          total += 4 * LayoutContext.value(context.aloneValues[position], at: cursor & mask)
          cursor += item.size
        }
        if aligned, best == nil || total > best!.value { best = (total, end, filler) }
      }
    }
    guard let best else { return nil }
    var kept = [Bool](repeating: false, count: context.natural.count)
    var residue = best.residue
    var filler = best.filler
    let isMover = Set(movers)
    for position in stride(from: context.natural.count - 1, through: 0, by: -1) where !isMover.contains(position) {
      let step = filler ? decision(position, residue) : .kept
      switch step {
      case .kept:
        kept[position] = true
        residue = (residue - context.items[context.natural[position]].size) & mask
      case .movedFirst: filler = false
      case .movedAgain: break
      }
    }
    return LayoutArrangement(firstResidue: residue, kept: kept, movers: ordered)
  }

  private static func best(_ values: [(residue: Int, bytes: Int)]) -> Int {
    values.map(\.bytes).max() ?? 0
  }

  private func decision(_ position: Int, _ residue: Int) -> Step {
    let index = position * context.blockSize + residue
    return Step(rawValue: (decisions[index / 4] >> UInt8(index % 4 * 2)) & 3)!
  }
}

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
/// The cursor starts at the input's remainder modulo 8 and moves by whole tensors, so when every
/// tensor's size is a multiple of `stride` (a power of two up to 8) only the residues equal to
/// the start modulo `stride` can be reached: the program runs over those alone (one residue in 8
/// for the usual 16- and 32-bit tensors), the others being unreachable in any case.
///
/// Values are in quarter bytes, so that ties go to fewer moves (−2 each) and to the input's own
/// data offset (+1).
struct LayoutSearch {
  let context: LayoutContext
  private let mask: Int
  /// The reachable residues: `first + index * stride` for `index` in `0..<count`.
  private let residues: (first: Int, stride: Int, count: Int)
  /// Bytes of ``decisions`` per tensor.
  private let decisionBytes: Int
  /// Two bits per tensor and reachable residue: how the state with a moved filler was reached.
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
    let sizes = context.natural.reduce(8) { $0 | context.items[$1].size }
    let stride = 1 << sizes.trailingZeroBitCount
    residues = (context.inputDataStart & (stride - 1), stride, context.blockSize / stride)
    decisionBytes = (residues.count + 3) / 4
  }

  /// The index of a reachable residue.
  private func index(of residue: Int) -> Int {
    (residue - residues.first) / residues.stride
  }

  /// Whether `residue` is one of the reachable residues.
  private func isReachable(_ residue: Int) -> Bool {
    (residue - residues.first) & (residues.stride - 1) == 0
  }

  /// The best arrangement with `movers` (positions in ``LayoutContext/natural``) moved, or `nil`
  /// when none keeps every tensor aligned.
  ///
  /// - Complexity: O(*t* · *B*) for *t* tensors and a block size of *B*.
  mutating func run(movers: [Int]) -> LayoutArrangement? {
    let count = context.natural.count
    let states = residues.count
    let isMover = Set(movers)
    decisions = [UInt8](repeating: 0, count: count * decisionBytes)
    var withoutFiller = [Int](repeating: Self.unreachable, count: states)
    var withFiller = withoutFiller
    let start = context.inputDataStart & mask
    for residue in stride(from: start & 7, to: context.blockSize, by: 8) {
      withoutFiller[index(of: residue)] = residue == start ? 1 : 0
    }
    var nextWithout = withoutFiller
    var nextWith = withFiller
    var steps = [UInt8](repeating: 0, count: decisionBytes * 4)
    for position in 0..<count {
      let item = context.items[context.natural[position]]
      // What the next tensor loses of its first block when this one is not kept before it.
      let loss =
        position + 1 < count && !isMover.contains(position + 1)
        ? 4 * (Self.best(context.keptValues[position + 1]) - Self.best(context.aloneValues[position + 1])) : 0
      if isMover.contains(position) {
        for state in 0..<states {
          withoutFiller[state] -= loss
          withFiller[state] -= loss
        }
        continue
      }
      let shift = (item.size & mask) / residues.stride
      let alignmentMask = item.alignment - 1
      let moveCost = loss + 2
      moveOrKeepAll(
        shift: shift, alignmentMask: alignmentMask, moveCost: moveCost, from: withoutFiller, withFiller,
        to: &nextWithout, &nextWith, steps: &steps)
      for (residue, bytes) in context.keptValues[position] where residue & alignmentMask == 0 && isReachable(residue) {
        let source = index(of: residue)
        let target = (source + shift) % states
        nextWithout[target] = withoutFiller[source] + 4 * bytes
        if withFiller[source] + 4 * bytes >= nextWith[target] {
          nextWith[target] = withFiller[source] + 4 * bytes
          steps[target] = Step.kept.rawValue
        }
      }
      record(steps, at: position)
      swap(&withoutFiller, &nextWithout)
      swap(&withFiller, &nextWith)
    }
    return finish(movers: movers, withoutFiller: withoutFiller, withFiller: withFiller)
  }

  /// One tensor's transitions for every reachable target residue (by index, shifted by `shift`
  /// indices), from the states `without` and `with` (no filler moved yet, one moved) to
  /// `nextWithout` and `nextWith`, with each step taken: in two contiguous passes (the source
  /// residue wraps around once), without branches.
  private func moveOrKeepAll(
    shift: Int, alignmentMask: Int, moveCost: Int, from without: [Int], _ with: [Int],
    to nextWithout: inout [Int], _ nextWith: inout [Int], steps: inout [UInt8]
  ) {
    let states = without.count
    let residues = residues
    without.withUnsafeBufferPointer { without in
      with.withUnsafeBufferPointer { with in
        nextWithout.withUnsafeMutableBufferPointer { nextWithout in
          nextWith.withUnsafeMutableBufferPointer { nextWith in
            steps.withUnsafeMutableBufferPointer { steps in
              Self.step(
                targets: shift..<states, offset: -shift, residues: residues, alignmentMask: alignmentMask,
                moveCost: moveCost, without: without, with: with, nextWithout: nextWithout, nextWith: nextWith,
                steps: steps)
              Self.step(
                targets: 0..<shift, offset: states - shift, residues: residues, alignmentMask: alignmentMask,
                moveCost: moveCost, without: without, with: with, nextWithout: nextWithout, nextWith: nextWith,
                steps: steps)
            }
          }
        }
      }
    }
  }

  /// Packs the steps taken for the tensor at `position` (two bits per reachable residue) into
  /// ``decisions``.
  private mutating func record(_ steps: [UInt8], at position: Int) {
    let base = position * decisionBytes
    for byte in 0..<decisionBytes {
      let state = 4 * byte
      decisions[base + byte] = steps[state] | steps[state + 1] << 2 | steps[state + 2] << 4 | steps[state + 3] << 6
    }
  }

  /// One tensor's transitions for the states `targets`, whose sources are `target + offset`: kept
  /// (from the source, when its residue is aligned) or moved (the state stays, a filler is now
  /// moved).
  @inline(__always)
  private static func step(
    targets: Range<Int>, offset: Int, residues: (first: Int, stride: Int, count: Int), alignmentMask: Int,
    moveCost: Int, without: UnsafeBufferPointer<Int>, with: UnsafeBufferPointer<Int>,
    nextWithout: UnsafeMutableBufferPointer<Int>, nextWith: UnsafeMutableBufferPointer<Int>,
    steps: UnsafeMutableBufferPointer<UInt8>
  ) {
    for target in targets {
      let source = target &+ offset
      let aligned = (residues.first &+ source &* residues.stride) & alignmentMask == 0
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
      for state in 0..<residues.count where values[state] > Self.unreachable / 2 {
        let end = residues.first + state * residues.stride
        guard (end + moversSize) & required == 0 else { continue }
        var cursor = end
        var total = values[state]
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
    let state = index(of: residue)
    let bits = decisions[position * decisionBytes + state / 4] >> UInt8(state % 4 * 2)
    return Step(rawValue: bits & 3) ?? .kept
  }
}

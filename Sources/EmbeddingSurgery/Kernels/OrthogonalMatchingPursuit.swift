import CBLAS

/// Orthogonal matching pursuit (OMP) of many targets over one dictionary, as Batch-OMP (Rubinstein,
/// Zibulevsky & Elad 2008): for each target t, up to k atoms of the dictionary and coefficients γ
/// with Σ γⱼ dⱼ ≈ t.
///
/// The rule, step by step (as arXiv 2506.06607 and mergekit's tokensurgeon): choose the atom not
/// yet chosen with the largest |residual · atom| (the lowest index on ties), refit the coefficients
/// of all chosen atoms by least squares, and repeat, up to k atoms. A pursuit stops early when the
/// residual is zero (below 10⁻⁵ of the target's norm, the precision of `Float`), when every
/// correlation is zero, or when the chosen atom lies in the span of those chosen before (its
/// distance to that span is below 10⁻³ of its norm).
///
/// How: the targets are cut into batches of a fixed size (set by the memory budget, never by the
/// number of threads), pursued one after the other, all threads sharing a batch's targets. For a
/// batch, the correlations with the targets, α⁰ = Dict · t, are BLAS `sgemm`s; after that a
/// step never touches the dictionary's rows: the correlations with the residual are
/// α = α⁰ − G_I γ, from the Gram columns G[:, s] = Dict · dₛ of the chosen atoms (N·|I| work
/// instead of N·D), and the refit solves G_II γ = α⁰_I with a Cholesky factor of G_II that grows by
/// one row per step. Gram columns are computed in one `sgemm` for all the atoms a step chose in a
/// batch, and kept (``GramColumnCache``) within the memory budget, so that popular atoms cost one
/// column for all the targets that choose them. The factorizations and solves run in `Double`, the
/// correlations in `Float`.
///
/// The result is the same bytes on any number of threads: each target's arithmetic is fixed (its
/// batch, its order of operations), and the cache's decisions (which columns one `sgemm` computes,
/// which are evicted) follow the sequence of requests, not the timing of threads. (An optimized
/// BLAS such as OpenBLAS rounds a product differently with other shapes; the shapes are fixed.)
public enum OrthogonalMatchingPursuit {
  /// The default bound on the pursuit's working memory (Gram columns and correlations).
  public static let defaultMemoryBudget = 256 << 20

  /// A pursuit stops when ‖residual‖ ≤ this × ‖target‖.
  package static let residualTolerance = 1e-5
  /// A chosen atom whose distance to the span of the atoms chosen before is at most this × its
  /// norm ends the pursuit (it is not added).
  package static let dependenceTolerance = 1e-3

  /// Up to `k` (atom, coefficient) pairs for each of the `targetCount` rows of `targets`
  /// (row-major, `width` floats each) over the `anchorCount` rows of `dictionary`.
  ///
  /// - Parameters:
  ///   - threads: the threads to use; the result does not depend on it.
  ///   - memoryBudget: bytes for the Gram columns and a batch's correlations; it sets the batch
  ///     size and the cache's slots (see ``Plan``), so a result is reproduced with the same budget.
  /// - Complexity: 2·M·N·D flops for the first correlations (`sgemm`), 2·N·D per Gram column
  ///   computed (at most one per chosen atom, once per atom while it stays cached), and
  ///   Σ N·|I| ≈ M·N·k²/2 for the correlation updates; memory about `memoryBudget`.
  /// - Precondition: `dictionary.count == anchorCount * width`, `targets.count == targetCount * width`,
  ///   `k >= 1`, `anchorCount < Int32.max`.
  public static func codes(
    dictionary: UnsafeBufferPointer<Float>, anchorCount: Int, width: Int, targets: UnsafeBufferPointer<Float>,
    targetCount: Int, k: Int, threads: Int, memoryBudget: Int = defaultMemoryBudget
  ) -> SparseCodes {
    precondition(anchorCount >= 0 && width >= 0 && targetCount >= 0, "negative sizes")
    precondition(
      dictionary.count == anchorCount * width,
      "a dictionary of \(dictionary.count) floats, not \(anchorCount) × \(width)")
    precondition(
      targets.count == targetCount * width, "targets of \(targets.count) floats, not \(targetCount) × \(width)")
    precondition(k >= 1, "k must be at least 1")
    precondition(anchorCount < Int(Int32.max), "too many anchors")
    let plan = Plan(anchorCount: anchorCount, k: k, memoryBudget: memoryBudget)
    var atoms = [Int32](repeating: -1, count: targetCount * k)
    var coefficients = [Float](repeating: 0, count: targetCount * k)
    var residuals = [Float](repeating: 0, count: targetCount)
    guard anchorCount > 0 else {
      for target in 0..<targetCount {
        residuals[target] = isZero(targets, row: target, width: width) ? 0 : 1
      }
      return SparseCodes(k: k, atoms: atoms, coefficients: coefficients, relativeResiduals: residuals)
    }
    let cache = GramColumnCache(
      dictionary: dictionary, anchorCount: anchorCount, width: width, capacity: plan.cacheSlots)
    // α⁰ for a block of targets at a time (larger products run faster than a batch's), in fixed
    // groups of rows; then the block's batches one after the other.
    let blockRows = Plan.correlationBlock
    var correlations = [Float](repeating: 0, count: min(blockRows, targetCount) * anchorCount)
    var blockStart = 0
    while blockStart < targetCount {
      let blockCount = min(blockRows, targetCount - blockStart)
      let group = Plan.correlationGroup
      correlations.withUnsafeMutableBufferPointer { output in
        nonisolated(unsafe) let output = output.baseAddress.unsafelyUnwrapped
        nonisolated(unsafe) let dictionary = dictionary.baseAddress
        nonisolated(unsafe) let rows = targets.baseAddress.unsafelyUnwrapped + blockStart * width
        _ = ParallelWork.map((blockCount + group - 1) / group, threads: max(1, threads)) { index in
          guard width > 0 else { return }
          let count = min(group, blockCount - index * group)
          cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(anchorCount), Int32(width), 1,
            rows + index * group * width, Int32(width), dictionary, Int32(width), 0,
            output + index * group * anchorCount, Int32(anchorCount))
        }
      }
      var first = blockStart
      while first < blockStart + blockCount {
        let range = first..<min(blockStart + blockCount, first + plan.batchSize)
        let result = correlations.withUnsafeBufferPointer { correlations in
          var pursuit = BatchPursuit(
            dictionary: dictionary, width: width, targets: targets, range: range, k: k, cache: cache,
            initialCorrelations: UnsafeBufferPointer(
              rebasing: correlations[(first - blockStart) * anchorCount..<(range.upperBound - blockStart) * anchorCount]
            ),
            threads: max(1, threads))
          return pursuit.run()
        }
        atoms.replaceSubrange(first * k..<range.upperBound * k, with: result.atoms)
        coefficients.replaceSubrange(first * k..<range.upperBound * k, with: result.coefficients)
        residuals.replaceSubrange(range, with: result.residuals)
        first = range.upperBound
      }
      blockStart += blockCount
    }
    var codes = SparseCodes(k: k, atoms: atoms, coefficients: coefficients, relativeResiduals: residuals)
    codes.gramColumnsComputed = cache.computed
    codes.gramColumnsRequested = cache.requested
    return codes
  }

  private static func isZero(_ rows: UnsafeBufferPointer<Float>, row: Int, width: Int) -> Bool {
    rows[row * width..<(row + 1) * width].allSatisfy { $0 == 0 }
  }

  /// How a budget becomes a batch size and cache slots.
  package struct Plan {
    /// Targets whose α⁰ is computed together (one row of N floats each).
    static let correlationBlock = 64
    /// Rows of α⁰ one `sgemm` computes: a fixed partition, the same calls on any number of threads.
    static let correlationGroup = 32
    /// Targets pursued together (at most 64): fixed by the budget, never by the threads.
    package let batchSize: Int
    /// Gram columns kept: at least what a batch can pin (k per target).
    package let cacheSlots: Int

    package init(anchorCount: Int, k: Int, memoryBudget: Int) {
      let columnBytes = max(1, anchorCount) * MemoryLayout<Float>.stride
      // The budget in columns of N floats: a block's α⁰ takes one per target, a batch's pinned Gram
      // columns at most k per target; half the rest is left for the popular atoms.
      let columns = max(1, memoryBudget / columnBytes - Self.correlationBlock)
      batchSize = max(1, min(Self.correlationBlock, columns / (2 * k)))
      // More slots than atoms would never fill.
      cacheSlots = min(max(1, anchorCount), max(batchSize * k, columns))
    }
  }
}

/// One batch of targets pursued in lockstep: at each step every unfinished target chooses an atom,
/// the batch fetches the Gram columns of the new atoms at once, and each target refits.
private struct BatchPursuit {
  let dictionary: UnsafeBufferPointer<Float>
  let width: Int
  let targets: UnsafeBufferPointer<Float>
  let range: Range<Int>
  let k: Int
  let cache: GramColumnCache
  /// α⁰ of the batch's targets, rows of N.
  let initialCorrelations: UnsafeBufferPointer<Float>
  let threads: Int
  var anchorCount: Int { cache.anchorCount }

  /// One target's pursuit.
  struct Target {
    var atoms: [Int32] = []
    var slots: [Int] = []
    /// The Cholesky factor of G_II, row-major k × k, lower triangle.
    var lower: [Double]
    /// α⁰ at the chosen atoms.
    var initialCorrelations: [Double] = []
    var coefficients: [Double] = []
    var floatCoefficients: [Float] = []
    var normSquared: Double
    var done: Bool
  }

  var states: [Target] = []

  init(
    dictionary: UnsafeBufferPointer<Float>, width: Int, targets: UnsafeBufferPointer<Float>, range: Range<Int>,
    k: Int, cache: GramColumnCache, initialCorrelations: UnsafeBufferPointer<Float>, threads: Int
  ) {
    self.initialCorrelations = initialCorrelations
    self.threads = threads
    self.dictionary = dictionary
    self.width = width
    self.targets = targets
    self.range = range
    self.k = k
    self.cache = cache
  }

  func targetRow(_ index: Int) -> UnsafePointer<Float> {
    targets.baseAddress.unsafelyUnwrapped + (range.lowerBound + index) * width
  }

  func dictionaryRow(_ atom: Int32) -> UnsafePointer<Float> {
    dictionary.baseAddress.unsafelyUnwrapped + Int(atom) * width
  }

  mutating func run() -> (atoms: [Int32], coefficients: [Float], residuals: [Float]) {
    let count = range.count
    let anchorCount = self.anchorCount
    let maximumAtoms = min(k, anchorCount)
    states = (0..<count).map { index in
      let row = targetRow(index)
      var sum = 0.0
      for column in 0..<width { sum += Double(row[column]) * Double(row[column]) }
      return Target(lower: Array(repeating: 0, count: maximumAtoms * maximumAtoms), normSquared: sum, done: !(sum > 0))
    }
    for _ in 0..<maximumAtoms {
      let active = states.indices.filter { !states[$0].done }
      if active.isEmpty { break }
      // Each target's choice is its own arithmetic: how the targets are shared out does not matter.
      let shares = min(threads, active.count)
      nonisolated(unsafe) let pursuit = self
      let choices = ParallelWork.map(shares, threads: threads) { share in
        pursuit.chooseAtoms(Array(active[share * active.count / shares..<(share + 1) * active.count / shares]))
      }.flatMap { $0 }
      var chosen: [(target: Int, atom: Int32)] = []
      for (target, choice) in zip(active, choices) {
        if let choice { chosen.append((target, choice)) } else { states[target].done = true }
      }
      if chosen.isEmpty { break }
      let slots = cache.acquire(chosen.map(\.atom), threads: threads)
      for (entry, slot) in zip(chosen, slots) { refit(entry.target, atom: entry.atom, slot: slot) }
    }
    var atoms = [Int32](repeating: -1, count: count * k)
    var coefficients = [Float](repeating: 0, count: count * k)
    var residuals = [Float](repeating: 0, count: count)
    for (index, state) in states.enumerated() {
      for (position, atom) in state.atoms.enumerated() {
        atoms[index * k + position] = atom
        coefficients[index * k + position] = state.floatCoefficients[position]
      }
      residuals[index] = Float(relativeResidual(index))
      cache.release(state.slots)
    }
    return (atoms, coefficients, residuals)
  }

  /// For each active target, the not-yet-chosen atom with the largest |α⁰ − G_I γ| (lowest index on
  /// ties), or nil when every correlation is zero. The correlations are computed a block of atoms
  /// at a time for all the given targets, so that Gram columns shared by several targets are read
  /// from memory once per block.
  func chooseAtoms(_ active: [Int]) -> [Int32?] {
    let anchorCount = self.anchorCount
    let blockSize = 2048
    var bestValues = [Float](repeating: 0, count: active.count)
    var bestIndices = [Int](repeating: -1, count: active.count)
    let columnsOf: [[UnsafePointer<Float>]] = active.map { target in states[target].slots.map { cache.column($0) } }
    do {
      let initial = initialCorrelations
      withUnsafeTemporaryAllocation(of: Float.self, capacity: blockSize) { scratch in
        let block = scratch.baseAddress.unsafelyUnwrapped
        var start = 0
        while start < anchorCount {
          let length = min(blockSize, anchorCount - start)
          for (position, target) in active.enumerated() {
            let state = states[target]
            block.update(from: initial.baseAddress.unsafelyUnwrapped + target * anchorCount + start, count: length)
            for (column, coefficient) in zip(columnsOf[position], state.floatCoefficients) {
              Self.subtract(coefficient, times: column + start, from: block, count: length)
            }
            for atom in state.atoms where Int(atom) >= start && Int(atom) < start + length {
              block[Int(atom) - start] = 0
            }
            let (value, index) = Self.largestMagnitude(block, count: length)
            if value > bestValues[position] {
              bestValues[position] = value
              bestIndices[position] = start + index
            }
          }
          start += length
        }
      }
    }
    return bestIndices.map { $0 >= 0 ? Int32($0) : nil }
  }

  /// block[i] -= coefficient × column[i] (a product and a difference: the baseline x86-64 target has
  /// no fused multiply-add, which would become a library call per element).
  @inline(__always)
  static func subtract(
    _ coefficient: Float, times column: UnsafePointer<Float>, from block: UnsafeMutablePointer<Float>, count: Int
  ) {
    let scale = SIMD8<Float>(repeating: coefficient)
    let vectorCount = count & ~7
    let source = UnsafeRawPointer(column)
    let destination = UnsafeMutableRawPointer(block)
    var index = 0
    while index < vectorCount {
      let value = destination.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
      let other = source.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
      destination.storeBytes(of: value - scale * other, toByteOffset: index * 4, as: SIMD8<Float>.self)
      index += 8
    }
    while index < count {
      block[index] = block[index] - coefficient * column[index]
      index += 1
    }
  }

  /// The largest |block[i]| and its lowest index (value 0 and index -1 when all are zero or NaN).
  @inline(__always)
  static func largestMagnitude(_ block: UnsafeMutablePointer<Float>, count: Int) -> (Float, Int) {
    let vectorCount = count & ~7
    let source = UnsafeRawPointer(block)
    var best = SIMD8<Float>(repeating: 0)
    var bestIndex = SIMD8<Int32>(repeating: -1)
    var lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
    var index = 0
    while index < vectorCount {
      let bits = unsafeBitCast(
        source.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self), to: SIMD8<UInt32>.self)
      let value = unsafeBitCast(bits & 0x7FFF_FFFF, to: SIMD8<Float>.self)
      let larger = value .> best
      best.replace(with: value, where: larger)
      bestIndex.replace(with: lanes, where: larger)
      lanes &+= 8
      index += 8
    }
    var value: Float = 0
    var position = -1
    for lane in 0..<8 where bestIndex[lane] >= 0 {
      if best[lane] > value || (best[lane] == value && Int(bestIndex[lane]) < position) {
        value = best[lane]
        position = Int(bestIndex[lane])
      }
    }
    while index < count {
      let magnitude = abs(block[index])
      if magnitude > value {
        value = magnitude
        position = index
      }
      index += 1
    }
    return (value, position)
  }

  /// Adds `atom` (whose Gram column is in `slot`) to target `index`'s factor and refits its
  /// coefficients, or ends its pursuit when the atom depends on those chosen before.
  mutating func refit(_ index: Int, atom: Int32, slot: Int) {
    let column = cache.column(slot)
    let n = states[index].atoms.count
    let order = min(k, anchorCount)
    let diagonal = Double(column[Int(atom)])
    // Solve L w = G_I,s; the new pivot is √(G_ss − w·w).
    var row = [Double](repeating: 0, count: n)
    var squares = 0.0
    states[index].lower.withUnsafeBufferPointer { lower in
      for i in 0..<n {
        var sum = Double(column[Int(states[index].atoms[i])])
        for j in 0..<i { sum -= lower[i * order + j] * row[j] }
        row[i] = sum / lower[i * order + i]
        squares += row[i] * row[i]
      }
    }
    let pivotSquared = diagonal - squares
    let tolerance = OrthogonalMatchingPursuit.dependenceTolerance
    guard diagonal > 0, pivotSquared > tolerance * tolerance * diagonal, pivotSquared.isFinite else {
      states[index].done = true
      cache.release([slot])
      return
    }
    var state = states[index]
    for j in 0..<n { state.lower[n * order + j] = row[j] }
    state.lower[n * order + n] = pivotSquared.squareRoot()
    state.atoms.append(atom)
    state.slots.append(slot)
    state.initialCorrelations.append(Double(initialCorrelations[index * anchorCount + Int(atom)]))
    // Solve L L^T γ = α⁰_I.
    let size = n + 1
    var forward = [Double](repeating: 0, count: size)
    for i in 0..<size {
      var sum = state.initialCorrelations[i]
      for j in 0..<i { sum -= state.lower[i * order + j] * forward[j] }
      forward[i] = sum / state.lower[i * order + i]
    }
    var gamma = [Double](repeating: 0, count: size)
    for i in stride(from: size - 1, through: 0, by: -1) {
      var sum = forward[i]
      for j in (i + 1)..<size { sum -= state.lower[j * order + i] * gamma[j] }
      gamma[i] = sum / state.lower[i * order + i]
    }
    state.coefficients = gamma
    state.floatCoefficients = gamma.map { Float($0) }
    // ‖r‖² = ‖t‖² − γ·α⁰_I; near zero that difference loses its digits, so there the residual is
    // computed from the rows.
    var explained = 0.0
    for i in 0..<size { explained += gamma[i] * state.initialCorrelations[i] }
    let estimate = (state.normSquared - explained) / state.normSquared
    states[index] = state
    if estimate < 1e-4 {
      let residual = relativeResidual(index, exact: true)
      let limit = OrthogonalMatchingPursuit.residualTolerance
      if residual <= limit { states[index].done = true }
    }
  }

  /// ‖t − Σ γⱼ dⱼ‖ / ‖t‖ in `Double`, with the `Float` coefficients (or the `Double` ones when `exact`).
  func relativeResidual(_ index: Int, exact: Bool = false) -> Double {
    let state = states[index]
    guard state.normSquared > 0 else { return 0 }
    let target = targetRow(index)
    var residual = (0..<width).map { Double(target[$0]) }
    for (position, atom) in state.atoms.enumerated() {
      let coefficient = exact ? state.coefficients[position] : Double(state.floatCoefficients[position])
      let row = dictionaryRow(atom)
      for column in 0..<width { residual[column] -= coefficient * Double(row[column]) }
    }
    var sum = 0.0
    for value in residual { sum += value * value }
    return (sum / state.normSquared).squareRoot()
  }
}

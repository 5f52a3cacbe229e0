import Synchronization

/// One group of targets of ``OrthogonalMatchingPursuit`` pursued in lockstep: at each step one
/// product (``PursuitCorrelations``) gives the largest approximate |correlation| of every residual
/// with each block of 32 atoms, then each unfinished target chooses its atom exactly and refits
/// (the targets shared out among the threads).
struct PursuitGroup {
  /// The buffers a group works in, allocated once for all the groups of a pursuit.
  final class Workspace: @unchecked Sendable {
    let rows: Int
    /// `rows × blockCount` block maxima of the approximate correlations, row-major.
    let maxima: UnsafeMutableBufferPointer<Float>
    /// `sgemm`'s correlations (empty for the bfloat16 kernel).
    let correlations: UnsafeMutableRawBufferPointer
    /// The kernel's operands: the residuals as it reads them (see ``PursuitCorrelations/load``).
    let operands: UnsafeMutableRawBufferPointer
    /// `rows × width` exact residuals, row-major.
    let residuals: UnsafeMutableBufferPointer<Double>
    /// Each residual's slack in the bound of its correlations.
    let slacks: UnsafeMutableBufferPointer<PursuitCorrelations.Slack>

    init(rows: Int, products: PursuitCorrelations) {
      self.rows = rows
      let paddedRows = (rows + products.rowGranularity - 1) / products.rowGranularity * products.rowGranularity
      maxima = .allocate(capacity: max(paddedRows * products.blockCount, 1))
      maxima.initialize(repeating: 0)
      correlations = .allocate(byteCount: max(products.correlationBytes(rows: rows), 1), alignment: 64)
      operands = .allocate(byteCount: products.operandBytes(rows: rows), alignment: 64)
      operands.initializeMemory(as: UInt8.self, repeating: 0)
      residuals = .allocate(capacity: max(rows * products.width, 1))
      residuals.initialize(repeating: 0)
      slacks = .allocate(capacity: max(rows, 1))
      slacks.initialize(repeating: .init(s: 0, q: 0))
    }

    deinit {
      maxima.deallocate()
      correlations.deallocate()
      operands.deallocate()
      residuals.deallocate()
      slacks.deallocate()
    }
  }

  /// One target's pursuit (a reference, changed in place by the thread that has the target).
  final class Target: @unchecked Sendable {
    var atoms: [Int32] = []
    /// The Cholesky factor of G_II, row-major `order × order`, lower triangle.
    var lower: [Double]
    /// dⱼ · t for the chosen atoms.
    var projections: [Double] = []
    var coefficients: [Double] = []
    let normSquared: Double
    var done: Bool

    init(order: Int, normSquared: Double) {
      lower = Array(repeating: 0, count: order * order)
      self.normSquared = normSquared
      done = !(normSquared > 0)
    }
  }

  let products: PursuitCorrelations
  var dictionary: UnsafePointer<Float> { products.dictionary }
  var anchorCount: Int { products.anchorCount }
  var width: Int { products.width }
  /// The group's first target row; `count` rows of `width`.
  let targets: UnsafePointer<Float>
  let count: Int
  let k: Int
  let threads: Int
  var states: [Target] = []
  /// Correlation products made.
  var productCount = 0
  /// Atoms whose correlation was computed exactly to make a choice.
  var candidateCount = 0

  init(products: PursuitCorrelations, targets: UnsafePointer<Float>, count: Int, k: Int, threads: Int) {
    self.products = products
    self.targets = targets
    self.count = count
    self.k = k
    self.threads = threads
  }

  /// The most atoms a target can have.
  var order: Int { min(k, anchorCount) }

  /// Pursues every target of the group to its end.
  mutating func run(in workspace: Workspace) {
    precondition(workspace.rows >= count, "a workspace of \(workspace.rows) rows for \(count) targets")
    let order = self.order
    let width = self.width
    states = (0..<count).map { target in
      let normSquared = Self.dot(targets + target * width, targets + target * width, count: width)
      return Target(order: order, normSquared: normSquared)
    }
    let residuals = workspace.residuals.baseAddress.unsafelyUnwrapped
    let maxima = workspace.maxima.baseAddress.unsafelyUnwrapped
    let correlations = workspace.correlations.baseAddress.unsafelyUnwrapped
    let operands = workspace.operands.baseAddress.unsafelyUnwrapped
    for target in 0..<count {
      for column in 0..<width { residuals[target * width + column] = Double(targets[target * width + column]) }
      workspace.slacks[target] = products.load(residuals + target * width, row: target, into: operands)
    }
    let candidates = Atomic<Int>(0)
    for _ in 0..<order {
      let active = states.indices.filter { !states[$0].done }
      if active.isEmpty { break }
      // All the group's rows, finished or not: the same product whatever the threads.
      products.compute(
        rows: count, operands: operands, correlations: correlations, into: maxima, threads: threads)
      productCount += 1
      // Each target's step is its own arithmetic: how the targets are shared out does not matter.
      let shares = min(threads, active.count)
      nonisolated(unsafe) let group = self
      nonisolated(unsafe) let residualRows = residuals
      nonisolated(unsafe) let maximaRows = maxima
      nonisolated(unsafe) let operandRows = operands
      nonisolated(unsafe) let slacks = workspace.slacks
      _ = ParallelWork.map(shares, threads: threads) { share in
        var examined = 0
        for target in active[share * active.count / shares..<(share + 1) * active.count / shares] {
          examined += group.advance(
            group.states[target], target: target, maxima: maximaRows + target * group.products.blockCount,
            residual: residualRows + target * group.width, operands: operandRows, slack: &slacks[target])
        }
        candidates.wrappingAdd(examined, ordering: .relaxed)
      }
    }
    candidateCount += candidates.load(ordering: .relaxed)
  }

  /// Writes the group's atoms, `Float` coefficients and relative residuals into `codes` from
  /// target `first` on.
  func store(into codes: inout SparseCodes, first: Int) {
    for (index, state) in states.enumerated() {
      let target = first + index
      let coefficients = state.coefficients.map { Float($0) }
      for (position, atom) in state.atoms.enumerated() {
        codes.atoms[target * k + position] = atom
        codes.coefficients[target * k + position] = coefficients[position]
      }
      codes.relativeResiduals[target] = Float(relativeResidual(state, target: index, coefficients: coefficients))
      codes.targetSteps += state.atoms.count
    }
    codes.correlationProducts += productCount
    codes.correlationRows += productCount * count
    codes.exactCorrelations += candidateCount
  }

  /// One step of `state`'s pursuit: choose the atom with the largest |correlation| (not yet
  /// chosen; lowest index on ties; see ``chooseAtom``), add it to the factor, refit, and write the
  /// new exact residual into `residual`, its operand into `operands` and its slack into `slack`;
  /// or end the pursuit. Returns the atoms whose correlation was computed exactly.
  func advance(
    _ state: Target, target: Int, maxima: UnsafePointer<Float>, residual: UnsafeMutablePointer<Double>,
    operands: UnsafeMutableRawPointer, slack: inout PursuitCorrelations.Slack
  ) -> Int {
    let (choice, examined) = chooseAtom(state, maxima: maxima, residual: residual, slack: slack)
    guard let best = choice else {
      state.done = true
      return examined
    }
    let atom = dictionary + best * width
    guard extendFactor(state, with: atom) else {
      state.done = true
      return examined
    }
    let row = targets + target * width
    state.atoms.append(Int32(best))
    state.projections.append(Self.dot(atom, row, count: width))
    state.coefficients = solve(state)
    residualValues(
      of: row, atoms: state.atoms, coefficients: state.coefficients,
      into: UnsafeMutableBufferPointer(start: residual, count: width))
    var squares = 0.0
    for column in 0..<width { squares += residual[column] * residual[column] }
    slack = products.load(residual, row: target, into: operands)
    let tolerance = OrthogonalMatchingPursuit.residualTolerance
    if squares <= tolerance * tolerance * state.normSquared { state.done = true }
    return examined
  }

  /// t − Σ γⱼ dⱼ in `Double`, into `values` (`width` entries).
  func residualValues(
    of row: UnsafePointer<Float>, atoms: [Int32], coefficients: [Double],
    into values: UnsafeMutableBufferPointer<Double>
  ) {
    let width = self.width
    let values = values.baseAddress.unsafelyUnwrapped
    for column in 0..<width { values[column] = Double(row[column]) }
    for (atom, coefficient) in zip(atoms, coefficients) {
      let source = dictionary + Int(atom) * width
      for column in 0..<width { values[column] -= coefficient * Double(source[column]) }
    }
  }

  /// Adds the row for `atom` to the Cholesky factor of G_II (solving L w = D_I · atom; the new
  /// pivot is √(‖atom‖² − w·w)), or returns false when the atom lies in the span of those chosen
  /// (its distance to it at most ``OrthogonalMatchingPursuit/dependenceTolerance`` × its norm).
  func extendFactor(_ state: Target, with atom: UnsafePointer<Float>) -> Bool {
    let n = state.atoms.count
    let order = self.order
    let width = self.width
    let diagonal = Self.dot(atom, atom, count: width)
    let tolerance = OrthogonalMatchingPursuit.dependenceTolerance
    return state.lower.withUnsafeMutableBufferPointer { lower in
      let lower = lower.baseAddress.unsafelyUnwrapped
      let newRow = lower + n * order
      var squares = 0.0
      for i in 0..<n {
        var sum = Self.dot(dictionary + Int(state.atoms[i]) * width, atom, count: width)
        for j in 0..<i { sum -= lower[i * order + j] * newRow[j] }
        let value = sum / lower[i * order + i]
        newRow[i] = value
        squares += value * value
      }
      let pivotSquared = diagonal - squares
      guard diagonal > 0, pivotSquared > tolerance * tolerance * diagonal, pivotSquared.isFinite else {
        newRow.update(repeating: 0, count: n)
        return false
      }
      newRow[n] = pivotSquared.squareRoot()
      return true
    }
  }

  /// γ with L Lᵀ γ = D_I · t.
  func solve(_ state: Target) -> [Double] {
    let size = state.atoms.count
    let order = self.order
    var gamma = [Double](repeating: 0, count: size)
    state.lower.withUnsafeBufferPointer { lower in
      gamma.withUnsafeMutableBufferPointer { gamma in
        // L y = D_I · t, into gamma; then Lᵀ γ = y in place.
        for i in 0..<size {
          var sum = state.projections[i]
          for j in 0..<i { sum -= lower[i * order + j] * gamma[j] }
          gamma[i] = sum / lower[i * order + i]
        }
        for i in stride(from: size - 1, through: 0, by: -1) {
          var sum = gamma[i]
          for j in (i + 1)..<size { sum -= lower[j * order + i] * gamma[j] }
          gamma[i] = sum / lower[i * order + i]
        }
      }
    }
    return gamma
  }

  /// ‖t − Σ γⱼ dⱼ‖ / ‖t‖ in `Double`, with the given (`Float`) coefficients.
  func relativeResidual(_ state: Target, target: Int, coefficients: [Float]) -> Double {
    guard state.normSquared > 0 else { return 0 }
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: width) { values in
      residualValues(
        of: targets + target * width, atoms: state.atoms, coefficients: coefficients.map { Double($0) }, into: values)
      return (values.reduce(0) { $0 + $1 * $1 } / state.normSquared).squareRoot()
    }
  }

  /// Σ a[i] b[i] in `Double` (eight partial sums, in a fixed order), b `Float` or `Double`.
  @inline(__always)
  static func dot<Operand: WideningOperand>(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Operand>, count: Int
  ) -> Double {
    let x = UnsafeRawPointer(a)
    let y = UnsafeRawPointer(b)
    var sums = SIMD8<Double>(repeating: 0)
    var index = 0
    while index + 8 <= count {
      sums +=
        SIMD8<Double>(x.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)) * Operand.eight(y, at: index)
      index += 8
    }
    var sum = total(sums)
    while index < count {
      sum += Double(a[index]) * b[index].widened
      index += 1
    }
    return sum
  }

  /// The sum of the eight lanes, in a fixed order.
  @inline(__always)
  static func total(_ sums: SIMD8<Double>) -> Double {
    ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]))
  }
}

/// An operand of ``PursuitGroup/dot(_:_:count:)``: `Float` (rows) or `Double` (exact residuals),
/// read as `Double`.
protocol WideningOperand {
  /// Elements `index ..< index + 8` of the buffer at `base`.
  static func eight(_ base: UnsafeRawPointer, at index: Int) -> SIMD8<Double>
  var widened: Double { get }
}

extension Float: WideningOperand {
  @inline(__always)
  static func eight(_ base: UnsafeRawPointer, at index: Int) -> SIMD8<Double> {
    SIMD8<Double>(base.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self))
  }
  var widened: Double { Double(self) }
}

extension Double: WideningOperand {
  @inline(__always)
  static func eight(_ base: UnsafeRawPointer, at index: Int) -> SIMD8<Double> {
    base.loadUnaligned(fromByteOffset: index * 8, as: SIMD8<Double>.self)
  }
  var widened: Double { self }
}

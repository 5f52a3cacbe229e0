import CBLAS

/// One group of targets of ``OrthogonalMatchingPursuit`` pursued in lockstep: at each step one
/// `sgemm` gives the correlations of every residual with every atom, then each unfinished target
/// chooses its atom and refits (the targets shared out among the threads).
struct PursuitGroup {
  /// The buffers a group works in, allocated once for all the groups of a pursuit.
  final class Workspace: @unchecked Sendable {
    let rows: Int
    /// `rows × anchorCount` correlations, row-major.
    let correlations: UnsafeMutableBufferPointer<Float>
    /// `rows × width` residuals (`Float`, the product's left operand), row-major.
    let residuals: UnsafeMutableBufferPointer<Float>

    init(rows: Int, anchorCount: Int, width: Int) {
      self.rows = rows
      correlations = .allocate(capacity: rows * anchorCount)
      residuals = .allocate(capacity: rows * width)
    }

    deinit {
      correlations.deallocate()
      residuals.deallocate()
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

  let dictionary: UnsafePointer<Float>
  let anchorCount: Int
  let width: Int
  /// The group's first target row; `count` rows of `width`.
  let targets: UnsafePointer<Float>
  let count: Int
  let k: Int
  let threads: Int
  var states: [Target] = []
  /// `sgemm` calls made.
  var products = 0

  init(
    dictionary: UnsafePointer<Float>, anchorCount: Int, width: Int, targets: UnsafePointer<Float>, count: Int,
    k: Int, threads: Int
  ) {
    self.dictionary = dictionary
    self.anchorCount = anchorCount
    self.width = width
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
    states = (0..<count).map { target in
      let normSquared = Self.dot(targets + target * width, targets + target * width, count: width)
      return Target(order: order, normSquared: normSquared)
    }
    let residuals = workspace.residuals.baseAddress.unsafelyUnwrapped
    let correlations = workspace.correlations.baseAddress.unsafelyUnwrapped
    residuals.update(from: targets, count: count * width)
    for _ in 0..<order {
      let active = states.indices.filter { !states[$0].done }
      if active.isEmpty { break }
      // All the group's rows, finished or not: the same product whatever the threads.
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(anchorCount), Int32(width), 1, residuals,
        Int32(width), dictionary, Int32(width), 0, correlations, Int32(anchorCount))
      products += 1
      // Each target's step is its own arithmetic: how the targets are shared out does not matter.
      let shares = min(threads, active.count)
      nonisolated(unsafe) let group = self
      nonisolated(unsafe) let residualRows = residuals
      nonisolated(unsafe) let correlationRows = correlations
      _ = ParallelWork.map(shares, threads: threads) { share in
        for target in active[share * active.count / shares..<(share + 1) * active.count / shares] {
          group.advance(
            group.states[target], target: target, correlations: correlationRows + target * group.anchorCount,
            residual: residualRows + target * group.width)
        }
      }
    }
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
    codes.correlationProducts += products
    codes.correlationRows += products * count
  }

  /// One step of `state`'s pursuit: choose the atom with the largest |correlation| (not yet
  /// chosen; lowest index on ties), add it to the factor, refit, and write the new residual into
  /// `residual` (as `Float`); or end the pursuit.
  func advance(
    _ state: Target, target: Int, correlations: UnsafeMutablePointer<Float>, residual: UnsafeMutablePointer<Float>
  ) {
    for atom in state.atoms { correlations[Int(atom)] = 0 }
    let (largest, best) = Self.largestMagnitude(correlations, count: anchorCount)
    guard largest > 0, best >= 0 else {
      state.done = true
      return
    }
    let atom = dictionary + best * width
    guard extendFactor(state, with: atom) else {
      state.done = true
      return
    }
    let row = targets + target * width
    state.atoms.append(Int32(best))
    state.projections.append(Self.dot(atom, row, count: width))
    state.coefficients = solve(state)
    let squares = withUnsafeTemporaryAllocation(of: Double.self, capacity: width) { values in
      residualValues(of: row, atoms: state.atoms, coefficients: state.coefficients, into: values)
      var squares = 0.0
      for column in 0..<width {
        squares += values[column] * values[column]
        residual[column] = Float(values[column])
      }
      return squares
    }
    let tolerance = OrthogonalMatchingPursuit.residualTolerance
    if squares <= tolerance * tolerance * state.normSquared { state.done = true }
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

  /// Σ a[i] b[i] in `Double` (four partial sums, in a fixed order).
  @inline(__always)
  static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Double {
    var sums = SIMD4<Double>(repeating: 0)
    var index = 0
    while index + 4 <= count {
      let x = SIMD4<Double>(Double(a[index]), Double(a[index + 1]), Double(a[index + 2]), Double(a[index + 3]))
      let y = SIMD4<Double>(Double(b[index]), Double(b[index + 1]), Double(b[index + 2]), Double(b[index + 3]))
      sums += x * y
      index += 4
    }
    var sum = (sums[0] + sums[1]) + (sums[2] + sums[3])
    while index < count {
      sum += Double(a[index]) * Double(b[index])
      index += 1
    }
    return sum
  }

  /// The largest |values[i]| and its lowest index (value 0 and index -1 when all are zero or NaN).
  @inline(__always)
  static func largestMagnitude(_ values: UnsafeMutablePointer<Float>, count: Int) -> (Float, Int) {
    let vectorCount = count & ~7
    let source = UnsafeRawPointer(values)
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
      let magnitude = abs(values[index])
      if magnitude > value {
        value = magnitude
        position = index
      }
      index += 1
    }
    return (value, position)
  }
}

extension PursuitGroup {
  /// The atom not yet chosen by `state` with the largest |dⱼ · r|, r the exact residual and the
  /// product computed in `Double` (``dot(_:_:count:)``);
  /// the lowest index on ties; nil when that largest is zero. Also returns how many correlations
  /// were computed exactly.
  ///
  /// The kernel's block `maxima` narrow the search without changing its result: with Mᵦ the
  /// largest |c̃ⱼ| of block b and Eᵦ its bound (``PursuitCorrelations``), some atom of a block
  /// holds |dⱼ · r| ≥ Mᵦ − Eᵦ; so the best atom not chosen reaches T = max(Mᵦ − Eᵦ) over the blocks
  /// without a chosen atom, and only blocks with Mᵦ + Eᵦ ≥ T can hold it. Only their atoms are
  /// computed exactly (a block or a few, where the product has 2·N·D flops). So the choice is the
  /// same whichever kernel made the maxima and however it rounded.
  ///
  /// - Complexity: O(N / 32) to find the candidate blocks, O(D) per atom in them.
  func chooseAtom(
    _ state: Target, maxima: UnsafePointer<Float>, residual: UnsafePointer<Double>,
    slack: PursuitCorrelations.Slack
  ) -> (atom: Int?, examined: Int) {
    var best = 0.0
    var choice: Int?
    var examined = 0
    func examine(_ atom: Int) {
      guard !state.atoms.contains(Int32(atom)) else { return }
      examined += 1
      let magnitude = abs(Self.dot(dictionary + atom * width, residual, count: width))
      if magnitude > best {
        best = magnitude
        choice = atom
      }
    }
    let blockAtoms = PursuitCorrelations.blockAtoms
    let blocks: [Int32]
    if slack.s.isFinite && slack.q.isFinite {
      let chosenBlocks = state.atoms.map { Int($0) / blockAtoms }
      blocks = CorrelationBounds(products: products, slack: slack).candidates(maxima, excluding: chosenBlocks)
    } else {
      blocks = (0..<products.blockCount).map { Int32($0) }
    }
    for block in blocks {
      for atom in (Int(block) * blockAtoms)..<min(anchorCount, (Int(block) + 1) * blockAtoms) { examine(atom) }
    }
    return (choice, examined)
  }
}

/// The error bounds Eᵦ = nᵦ·s + mᵦ·q + a of one residual's block maxima (see
/// ``PursuitCorrelations``).
struct CorrelationBounds {
  let products: PursuitCorrelations
  let slack: PursuitCorrelations.Slack

  /// The blocks, in increasing order, with Mᵦ + Eᵦ ≥ T = max(Mᵦ − Eᵦ) over the blocks not in
  /// `excluded` (NaNs never; every block when T is −∞), in one pass: the running maximum of
  /// the lower bounds never exceeds T, the blocks whose upper bound reaches it are kept, and the
  /// few kept are then held to T itself.
  func candidates(_ maxima: UnsafePointer<Float>, excluding excluded: [Int]) -> [Int32] {
    let norms = products.blockNorms
    let roundingNorms = products.blockRoundingNorms
    let s = slack.s
    let q = slack.q
    let a = products.absoluteError
    var threshold: Float = -.infinity
    var kept: [(block: Int32, upper: Float)] = []
    kept.reserveCapacity(64)
    for block in 0..<products.blockCount {
      let largest = maxima[block]
      var bound = norms[block] * s + a
      if let roundingNorms { bound += roundingNorms[block] * q }
      let lower = largest - bound
      if lower > threshold && !excluded.contains(block) { threshold = lower }
      let upper = largest + bound
      if upper >= threshold { kept.append((Int32(block), upper)) }
    }
    return kept.compactMap { $0.upper >= threshold ? $0.block : nil }
  }
}

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

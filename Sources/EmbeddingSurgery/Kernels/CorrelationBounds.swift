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

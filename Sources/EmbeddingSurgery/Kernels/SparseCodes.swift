/// For each of `M` target rows, up to `k` (anchor index, coefficient) pairs such that
/// Σ coefficient × dictionary[anchor] approximates the target: the result of
/// ``OrthogonalMatchingPursuit``.
///
/// Target `m`'s pairs are `atoms[m * k ..< (m + 1) * k]` and the same range of `coefficients`, in
/// the order the pursuit chose them; a pursuit that stopped early leaves the rest as atom `-1` with
/// coefficient 0.
public struct SparseCodes: Sendable {
  /// The most atoms per target.
  public let k: Int
  /// The chosen anchors, `M × k`; `-1` marks an unused slot.
  public var atoms: [Int32]
  /// The coefficients of the chosen anchors, `M × k`; 0 in unused slots.
  public var coefficients: [Float]
  /// ‖target − Σ coefficient × atom‖ / ‖target‖ per target (0 for a zero target), computed in
  /// `Double` from the `Float` coefficients.
  public var relativeResiduals: [Float]

  /// The pursuit's work, for the benchmarks and the documentation: its correlation products, the
  /// rows they computed (each N correlations, 2·N·D flops), the atoms chosen (the rows that were
  /// needed), and the correlations computed exactly to make those choices (the candidates the
  /// products' error bounds left).
  public var correlationProducts = 0
  public var correlationRows = 0
  public var targetSteps = 0
  public var exactCorrelations = 0

  /// The number of targets.
  public var targetCount: Int { relativeResiduals.count }

  package init(k: Int, atoms: [Int32], coefficients: [Float], relativeResiduals: [Float]) {
    self.k = k
    self.atoms = atoms
    self.coefficients = coefficients
    self.relativeResiduals = relativeResiduals
  }

  /// The atoms chosen for target `target`, in the order of choice (unused slots left out).
  public func atoms(of target: Int) -> ArraySlice<Int32> {
    let slots = atoms[target * k..<(target + 1) * k]
    return slots.prefix { $0 >= 0 }
  }

  /// The largest |coefficient| of target `target` (0 when it has no atom).
  public func largestCoefficient(of target: Int) -> Float {
    coefficients[target * k..<(target + 1) * k].reduce(0) { max($0, abs($1)) }
  }
}

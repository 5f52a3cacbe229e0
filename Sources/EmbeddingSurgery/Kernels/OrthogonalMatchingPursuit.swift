/// Orthogonal matching pursuit (OMP) of many targets over one dictionary: for each target t, up to
/// k atoms of the dictionary and coefficients γ with Σ γⱼ dⱼ ≈ t.
///
/// The rule, step by step (as arXiv 2506.06607 and mergekit's tokensurgeon): choose the atom not
/// yet chosen with the largest |residual · atom| (the lowest index on ties), refit the coefficients
/// of all chosen atoms by least squares, and repeat, up to k atoms. A pursuit stops early when the
/// residual is zero (below 10⁻⁵ of the target's norm, the precision of `Float`), when every
/// correlation is zero, or when the chosen atom lies in the span of those chosen before (its
/// distance to that span is below 10⁻³ of its norm).
///
/// How: the targets are cut into groups of a fixed size (set by the memory budget, at most 252,
/// never by the number of threads), pursued one after the other. At each step of a group one
/// product computes approximate correlations of every residual of the group with every atom,
/// Dict · R (2·rows·N·D flops; see ``CorrelationKernel``: AVX-512 BF16 where the processor has it,
/// else the BLAS's `sgemm`), each with a proven bound on its error; each unfinished target then
/// computes exactly, in `Double`, only the few correlations the bounds leave as candidates for the
/// largest, and chooses among them; then it refits. The refit extends a Cholesky factor of
/// G_II = D_I D_Iᵀ by one row (the new atom's inner products with the chosen ones, `Double`),
/// solves for γ, and recomputes the residual t − D_Iᵀ γ in `Double`; the targets are shared out
/// among the threads.
///
/// (Batch-OMP, which updates the correlations from Gram columns Dict · dₛ instead of a product per
/// step, is no faster on real embeddings: their pursuits share few atoms, so most Gram columns cost
/// the same product for one target, and streaming |I| columns per step is memory-bound; see
/// docs/transplant.md.)
///
/// The result is the same bytes on any number of threads and with either kernel: each target's
/// arithmetic is fixed, and its choices are those of the exact `Double` correlations, however the
/// product rounded.
public enum OrthogonalMatchingPursuit {
  /// The default bound on the pursuit's working memory (a group's correlations, residuals and
  /// Cholesky factors).
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
  ///   - threads: the threads to use for the products (``CorrelationKernel/bfloat16``; `sgemm`s use
  ///     the BLAS's own threads), the choices and the refits; the result does not depend on it.
  ///   - memoryBudget: bytes for a group's correlations, residuals and Cholesky factors; it sets the
  ///     group size (see ``Plan``), so a result is reproduced with the same budget.
  ///   - kernel: how the approximate correlations are computed; the result does not depend on it.
  /// - Complexity: 2·N·D flops per target and step in the product (2·k·M·N·D in all for M targets
  ///   pursued to k atoms), about 2·|I|·D per target and step for the refit, 2·D per candidate.
  ///   Memory besides the caller's buffers and the result: a group's targets × ((N + 3·D) · 4 +
  ///   k² · 8) bytes, within `memoryBudget` (a group has at least one target and at most 252), and
  ///   N·D·2 bytes for ``CorrelationKernel/bfloat16``'s copy of the dictionary.
  /// - Precondition: `dictionary.count == anchorCount * width`, `targets.count == targetCount * width`,
  ///   `k >= 1`, `anchorCount < Int32.max`.
  public static func codes(
    dictionary: UnsafeBufferPointer<Float>, anchorCount: Int, width: Int, targets: UnsafeBufferPointer<Float>,
    targetCount: Int, k: Int, threads: Int, memoryBudget: Int = defaultMemoryBudget,
    kernel: CorrelationKernel = .fastest
  ) -> SparseCodes {
    precondition(anchorCount >= 0 && width >= 0 && targetCount >= 0, "negative sizes")
    precondition(
      dictionary.count == anchorCount * width,
      "a dictionary of \(dictionary.count) floats, not \(anchorCount) × \(width)")
    precondition(
      targets.count == targetCount * width, "targets of \(targets.count) floats, not \(targetCount) × \(width)")
    precondition(k >= 1, "k must be at least 1")
    precondition(anchorCount < Int(Int32.max), "too many anchors")
    precondition(kernel.isAvailable, "the \(kernel.rawValue) kernel on a processor without it")
    var codes = SparseCodes(
      k: k, atoms: Array(repeating: -1, count: targetCount * k),
      coefficients: Array(repeating: 0, count: targetCount * k),
      relativeResiduals: Array(repeating: 0, count: targetCount))
    guard anchorCount > 0, width > 0, let dictionary = dictionary.baseAddress, let targets = targets.baseAddress
    else {
      // No atom: a nonzero target keeps all of itself as residual.
      for target in 0..<targetCount where targets[target * width..<(target + 1) * width].contains(where: { $0 != 0 }) {
        codes.relativeResiduals[target] = 1
      }
      return codes
    }
    let plan = Plan(
      anchorCount: anchorCount, width: width, k: k, targetCount: targetCount, memoryBudget: memoryBudget)
    let products = PursuitCorrelations(
      kernel: kernel, dictionary: dictionary, anchorCount: anchorCount, width: width)
    let workspace = PursuitGroup.Workspace(rows: plan.groupRows, products: products)
    for first in stride(from: 0, to: targetCount, by: plan.groupRows) {
      let count = min(plan.groupRows, targetCount - first)
      var group = PursuitGroup(
        products: products, targets: targets + first * width, count: count, k: k, threads: max(1, threads))
      group.run(in: workspace)
      group.store(into: &codes, first: first)
    }
    return codes
  }

  /// How a budget becomes the group size.
  package struct Plan {
    /// The most targets in a group: a product of 252 rows runs at full speed (reading the
    /// dictionary is shared by enough rows), and more would only take memory; 252 is 21 whole
    /// tiles of ``CorrelationKernel/bfloat16``'s 12 targets.
    package static let largestGroup = 252
    /// Targets pursued together (one product per step): fixed by the budget, never by the threads.
    package let groupRows: Int

    /// - Parameter targetCount: a group is never larger than the targets.
    package init(anchorCount: Int, width: Int, k: Int, targetCount: Int, memoryBudget: Int) {
      groupRows = max(
        1,
        min(
          Self.largestGroup, targetCount,
          memoryBudget / Self.targetBytes(anchorCount: anchorCount, width: width, k: k)))
    }

    /// What one target of a group holds: a row of N correlations and its residual as the product
    /// reads it (`Float`), its exact residual and its Cholesky factor (D and min(k, N)² `Double`s).
    package static func targetBytes(anchorCount: Int, width: Int, k: Int) -> Int {
      let order = min(k, anchorCount)
      return (max(1, anchorCount) + width) * MemoryLayout<Float>.stride
        + (width + order * order) * MemoryLayout<Double>.stride
    }
  }
}

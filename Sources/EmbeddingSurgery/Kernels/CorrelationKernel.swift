import CBFloat16Products

extension OrthogonalMatchingPursuit {
  /// How a pursuit computes the approximate correlations of its residuals with every atom, from
  /// which it then finds the largest exactly (see ``OrthogonalMatchingPursuit``): the kernel sets
  /// the speed, never the result.
  public enum CorrelationKernel: String, Sendable, CaseIterable {
    /// AVX-512 BF16 (vdpbf16ps): atoms and residuals rounded to bfloat16, products summed in
    /// `Float`; about twice the flops per cycle of `sgemm`. Only on processors that have it.
    case bfloat16
    /// The BLAS's `sgemm` in `Float` (OpenBLAS when it replaces libblas.so.3, otherwise netlib's
    /// reference BLAS).
    case sgemm

    /// Whether this processor runs the kernel.
    public var isAvailable: Bool {
      switch self {
      case .bfloat16: Self.processorHasBFloat16
      case .sgemm: true
      }
    }

    /// The fastest kernel this processor runs: ``bfloat16`` where it can, else ``sgemm``.
    public static var fastest: CorrelationKernel { processorHasBFloat16 ? .bfloat16 : .sgemm }

    private static let processorHasBFloat16 = cbf16_supported()
  }
}

/// How rewritten rows are initialized: the rows of new tokens (resize) and untrained rows
/// (fix-untrained).
public enum InitializationRule: String, Sendable, CaseIterable, Encodable {
  /// The mean of the original rows, leaving out rows whose every element is zero.
  case mean
  /// The mean of the rows of the pieces the original tokenizer splits the token into
  /// (falling back to `mean` when there is no usable piece).
  case nearest
  /// Per-dimension mean + per-dimension standard deviation × N(0, 1), from a seeded generator.
  case random
  /// All zeros.
  case zeros
  /// The mean plus multivariate-normal noise with covariance S·Σ of the original rows
  /// (transformers' `mean_resizing`; S is a ``NoiseScale``), from a seeded generator.
  /// Falls back to `mean` when Σ is not positive definite.
  case mvn
}

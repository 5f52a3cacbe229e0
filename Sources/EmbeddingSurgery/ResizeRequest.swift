/// How the rows of new tokens are initialized.
public enum InitializationRule: String, Sendable, CaseIterable {
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
  /// (transformers' `mean_resizing`; S is ``ResizeRequest/noiseScale``), from a seeded generator.
  /// Falls back to `mean` when Σ is not positive definite.
  case mvn
}

/// What a user asks of a resize: the tokens to add and how.
public struct ResizeRequest: Sendable {
  /// The tokens to add, in order (duplicates and tokens already in the vocabulary are skipped).
  public var tokens: [String]
  /// Where the tokens came from, for messages.
  public var tokenSource: String
  /// How new rows are initialized.
  public var initialization: InitializationRule
  /// Whether the tokens are special tokens.
  public var special: Bool
  /// Grow the matrix to a multiple of this many rows (padding rows get the mean row).
  public var padToMultipleOf: Int?
  /// The seed of the `random` rule.
  public var seed: UInt64
  /// The embedding tensor's name, overriding detection.
  public var embeddingName: String?
  /// The output head's name, overriding detection.
  public var headName: String?
  /// S of the `mvn` rule: the new rows' noise has covariance S·Σ (transformers uses 1e-9).
  public var noiseScale: Double = 1e-5
  /// Put new tokens into reserved placeholder slots (`<unusedN>`, `<|reserved_special_token_N|>`,
  /// ...) before growing the matrix (see ``ReservedSlots``).
  public var reuseReserved = false

  /// Creates a request.
  public init(
    tokens: [String], tokenSource: String = "tokens", initialization: InitializationRule = .mean,
    special: Bool = false, padToMultipleOf: Int? = nil, seed: UInt64 = 0,
    embeddingName: String? = nil, headName: String? = nil
  ) {
    self.tokens = tokens
    self.tokenSource = tokenSource
    self.initialization = initialization
    self.special = special
    self.padToMultipleOf = padToMultipleOf
    self.seed = seed
    self.embeddingName = embeddingName
    self.headName = headName
  }
}

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
  /// Grow the matrix to a multiple of this many rows, at least 1 (padding rows get the mean row).
  public var padToMultipleOf: Int?
  /// The seed of the `random` rule.
  public var seed: UInt64
  /// The embedding tensor's name, overriding detection.
  public var embeddingName: String?
  /// The output head's name, overriding detection.
  public var headName: String?
  /// S of the `mvn` rule: the new rows' noise has covariance S·Σ.
  public var noiseScale = NoiseScale.standard
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

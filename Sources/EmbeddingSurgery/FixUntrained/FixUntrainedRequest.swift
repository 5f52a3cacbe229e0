import SafeTensors

/// What a user asks of `fix-untrained`: which rows to re-initialize and how.
public struct FixUntrainedRequest: Sendable {
  /// The rows to re-initialize; `nil` for the untrained rows of the embedding or the head
  /// (``RowFinding/untrained``: all zero, NaN/Inf, or a norm far below the rest).
  public var ids: [Int]?
  /// How the rows are initialized: `mean`, `random`, `zeros` or `mvn` (not `nearest`).
  public var initialization: InitializationRule
  /// The seed of `random` and `mvn`.
  public var seed: UInt64
  /// S of `mvn`.
  public var noiseScale: NoiseScale
  /// The embedding tensor's name, overriding detection.
  public var embeddingName: String?
  /// The output head's name, overriding detection.
  public var headName: String?

  /// Creates a request.
  public init(
    ids: [Int]? = nil, initialization: InitializationRule = .mean, seed: UInt64 = 0,
    noiseScale: NoiseScale = .standard, embeddingName: String? = nil, headName: String? = nil
  ) {
    self.ids = ids
    self.initialization = initialization
    self.seed = seed
    self.noiseScale = noiseScale
    self.embeddingName = embeddingName
    self.headName = headName
  }
}

import Tokenization

/// The row source of the initialization rules (``InitializationRule``): each written row is a new
/// token's row (resize) or a row re-initialized (fix-untrained), made from the statistics of the
/// matrix's own original rows; padding rows and a head bias's entries get the mean.
///
/// ``prepare(_:threads:)`` splits the new tokens with the original tokenizer (for `nearest`),
/// computes the statistics of each matrix (all cores) and, for `mvn`, the factor of the
/// covariance; the rows are then made a chunk at a time from one seeded generator, matrix after
/// matrix, so the same seed gives the same bytes.
public struct InitializedRows: RowSource {
  /// What initializing the rows found.
  public struct Outcome: Sendable {
    /// Remarks of the initializers (mvn fallbacks, noise erased by rounding).
    package var notes: [String] = []
    /// The rule the report names: `mean` when `mvn` fell back to it in every matrix.
    package var ruleApplied: InitializationRule
    /// For `nearest`: the piece ids of each new token, split by the original tokenizer.
    package var pieces: [[Int]]?
  }

  /// The rows of one rewritten tensor, being made.
  private enum Rows {
    case matrix(RowProduction)
    case bias(entry: [UInt8])
  }

  private let model: ModelCheckpoint
  private let targets: [RowInitializer.Target]
  private let tokenTexts: [String]
  private let rule: InitializationRule
  private let noiseScale: NoiseScale
  private let excluded: Set<Int>
  private let excludingUntrained: Bool
  private var generator: SeededGenerator
  private var rows: [Rows] = []
  private var pieces: [[Int]]?

  /// Rows initialized by `rule`.
  ///
  /// - Parameters:
  ///   - targets: what each written row is for, in output order (`.token(i)` for the `i`th token).
  ///   - tokenTexts: the texts of the new tokens, for `nearest` (none for rows re-initialized).
  ///   - seed: the seed of `random` and `mvn`.
  ///   - noiseScale: S of `mvn`.
  ///   - excluded: rows left out of each matrix's statistics besides its all-zero rows.
  ///   - excludingUntrained: whether the statistics also leave out the rows ``UntrainedRows``
  ///     flags in each matrix.
  init(
    model: ModelCheckpoint, targets: [RowInitializer.Target], tokenTexts: [String] = [], rule: InitializationRule,
    seed: UInt64, noiseScale: NoiseScale, excluded: Set<Int>, excludingUntrained: Bool
  ) {
    self.model = model
    self.targets = targets
    self.tokenTexts = tokenTexts
    self.rule = rule
    self.noiseScale = noiseScale
    self.excluded = excluded
    self.excludingUntrained = excludingUntrained
    self.generator = SeededGenerator(seed: seed)
  }

  /// For `nearest`: the piece ids of each new token, split by the original tokenizer (`nil` for
  /// another rule, no new token or no tokenizer).
  package func nearestPieces() throws(SurgeryError) -> [[Int]]? {
    guard rule == .nearest, !tokenTexts.isEmpty else { return nil }
    guard let tokenizer = try model.makeTokenizer() else { return nil }
    var pieces: [[Int]] = []
    for text in tokenTexts {
      do {
        pieces.append(try tokenizer.encode(text).ids)
      } catch {
        throw .tokenization(error)
      }
    }
    return pieces
  }

  public mutating func prepare(_ tensors: [RewrittenTensor], threads: Int) throws(SurgeryError) {
    guard !targets.isEmpty else { return }
    pieces = try nearestPieces()
    let rowsBefore = tensors.first?.rows ?? 0
    let tokenCount = targets.filter { if case .token = $0 { true } else { false } }.count
    let usable = (pieces ?? Array(repeating: [], count: tokenCount)).map { $0.filter { $0 >= 0 && $0 < rowsBefore } }
    for tensor in tensors {
      if tensor.isBias {
        rows.append(.bias(entry: try BiasInitializer(tensor: tensor.tensor, file: tensor.file).meanEntry()))
        continue
      }
      let initializer = try RowInitializer(tensor: tensor.tensor, file: tensor.file)
      var excluded = self.excluded
      if excludingUntrained { excluded.formUnion(UntrainedRows.find(in: initializer.matrix).keys) }
      rows.append(
        .matrix(
          initializer.prepare(
            targets, rule: rule, pieces: usable, excluding: excluded, noiseScale: noiseScale, threads: threads)))
    }
  }

  public mutating func fill(
    _ rows: Range<Int>, of tensor: Int, into destination: UnsafeMutableRawBufferPointer
  ) throws(SurgeryError) {
    switch self.rows[tensor] {
    case .matrix(var production):
      let bytes = try production.rows(rows, generator: &generator)
      self.rows[tensor] = .matrix(production)
      precondition(bytes.count == destination.count, "\(bytes.count) bytes made for \(destination.count)")
      destination.copyBytes(from: bytes)
    case .bias(let entry):
      precondition(entry.count * rows.count == destination.count, "a bias entry is \(entry.count) bytes")
      for row in 0..<rows.count {
        UnsafeMutableRawBufferPointer(rebasing: destination[(row * entry.count)..<((row + 1) * entry.count)])
          .copyBytes(from: entry)
      }
    }
  }

  public var outcome: Outcome {
    let productions = rows.compactMap { if case .matrix(let production) = $0 { production } else { nil } }
    let fallbacks = productions.filter(\.fellBackToMean).count
    return Outcome(
      notes: productions.flatMap(\.finalNotes),
      ruleApplied: rule == .mvn && !productions.isEmpty && fallbacks == productions.count ? .mean : rule,
      pieces: pieces)
  }
}

import SafeTensors

/// Computes the bytes of the rows a resize writes into one matrix (the embedding or the untied
/// head), each matrix from its own original rows.
package struct RowInitializer {
  /// What a written row is for.
  enum Target: Sendable {
    /// The row of a new token: its index in the plan's `added` list.
    case token(Int)
    /// A padding row (from `--pad-to-multiple-of`, or between the matrix and the tokenizer's size).
    case padding
  }

  /// The matrix, read through the windowed row reader.
  package let matrix: MatrixRows
  var tensor: TensorInfo { matrix.tensor }
  var file: SafeTensorsFile { matrix.file }
  var format: FloatingPointFormat { matrix.format }
  var dimension: Int { matrix.dimension }
  var rows: Int { matrix.rows }
  var rowBytes: Int { matrix.rowBytes }

  package init(tensor: TensorInfo, file: SafeTensorsFile) throws(SurgeryError) {
    matrix = try MatrixRows(tensor: tensor, file: file)
  }

  /// Column statistics over every original row that is not all zero and not in `excluded`.
  ///
  /// The matrix is cut into its 16 MiB windows (a partition that does not depend on the threads);
  /// `threads` threads reduce them, each window's pages released once it is reduced, and the
  /// windows' sums are added in window order, so the result is the same bytes whatever the
  /// number of threads.
  ///
  /// - Complexity: O(*rows* × *dimension*) over `threads` threads; memory O(*dimension*) per window.
  package func statistics(
    includingSquares: Bool, excluding excluded: Set<Int> = [], threads: Int = ParallelWork.defaultThreadCount
  ) -> ColumnStatistics {
    let matrix = self.matrix
    let dimension = self.dimension
    let windows = matrix.windows()
    let parts = ParallelWork.map(windows.count, threads: threads) { index in
      var part = ColumnStatistics(dimension: dimension, includingSquares: includingSquares)
      matrix.withWindow(rows: windows[index]) { window in
        window.forEachRun(excluding: excluded) { part.accumulate($0) }
      }
      matrix.releasePages(rows: windows[index])
      return part
    }
    var statistics = ColumnStatistics(dimension: dimension, includingSquares: includingSquares)
    for part in parts { statistics.add(part) }
    return statistics
  }

  /// The covariance of the original rows that are not all zero and not in `excluded`, around `mean`.
  package func covariance(mean: [Double], excluding excluded: Set<Int>) -> CovarianceMatrix {
    var covariance = CovarianceMatrix(mean: mean)
    forEachRun(excluding: excluded) { run in
      // All-zero rows are left out, as in the statistics.
      let zero = Set(run.rowIDs.filter { format.isAllZero(run.row($0)) })
      run.forEachRun(excluding: zero) { covariance.accumulate($0) }
    }
    return covariance
  }

  /// Calls `body` with each run of consecutive rows not in `excluded`, window by window,
  /// releasing each window's pages once it is done.
  func forEachRun(excluding excluded: Set<Int>, _ body: (RowWindow) -> Void) {
    matrix.forEachWindow { window in window.forEachRun(excluding: excluded, body) }
  }

  /// The mean of the given original rows, in `Double`. The rows are read (`pread`), not touched
  /// through the mapping, so that scattered rows keep nothing resident.
  func meanOfRows(_ ids: [Int]) throws(SurgeryError) -> [Double] {
    var sums = [Double](repeating: 0, count: dimension)
    var row = [Double](repeating: 0, count: dimension)
    for id in ids {
      let bytes: [UInt8]
      do {
        bytes = try file.read(matrix.byteRange(first: id, count: 1))
      } catch {
        throw .safeTensors(error)
      }
      bytes.withUnsafeBytes { buffer in
        row.withUnsafeMutableBufferPointer { format.decode(buffer, into: $0) }
      }
      for column in 0..<dimension { sums[column] += row[column] }
    }
    return sums.map { $0 / Double(max(ids.count, 1)) }
  }

  /// Prepares the rows of `targets` by `rule`: the statistics over the original rows (all
  /// cores), and for `mvn` the factor of their covariance. The rows are then made a chunk at a
  /// time (``RowProduction/rows(_:generator:)``), so memory does not grow with their number.
  ///
  /// - Parameters:
  ///   - targets: the rows to write, in output order.
  ///   - rule: the initialization rule.
  ///   - pieces: for `nearest`, the usable piece ids of each added token (empty: fall back to mean).
  ///   - excluded: rows left out of the statistics (besides all-zero rows): untrained rows and
  ///     the rows being re-initialized.
  ///   - noiseScale: S of the `mvn` rule (noise covariance S·Σ).
  func prepare(
    _ targets: [Target], rule: InitializationRule, pieces: [[Int]], excluding excluded: Set<Int> = [],
    noiseScale: NoiseScale = .standard, threads: Int = ParallelWork.defaultThreadCount
  ) -> RowProduction {
    let needsStatistics =
      rule == .mean || rule == .random || rule == .mvn
      || targets.contains {
        if case .token(let index) = $0 { return rule == .nearest && pieces[index].isEmpty }
        return true
      }
    let statistics =
      needsStatistics ? statistics(includingSquares: rule == .random, excluding: excluded, threads: threads) : nil
    var production = RowProduction(
      initializer: self, targets: targets, rule: rule, pieces: pieces, noiseScale: noiseScale,
      meanRow: statistics.map { format.encode($0.mean) }, mean: statistics?.mean ?? [],
      deviation: statistics?.standardDeviation)
    if rule == .mvn, let statistics, targets.contains(where: { if case .token = $0 { true } else { false } }) {
      let covariance = self.covariance(mean: statistics.mean, excluding: excluded).covariance
      production.factor = CholeskyFactor(covariance, dimension: dimension)
      if production.factor == nil {
        production.notes.append(
          "the covariance of the trained rows of '\(tensor.name)' is not positive definite: the mvn rule fell back to mean"
        )
      }
    }
    return production
  }
}

/// The rows of one matrix being made, a chunk at a time, in output order: the statistics are
/// computed once (``RowInitializer/prepare(_:rule:pieces:excluding:noiseScale:threads:)``), each row when it
/// is asked for. Random rules draw from the caller's generator in the order the rows are asked for.
struct RowProduction {
  let initializer: RowInitializer
  let targets: [RowInitializer.Target]
  let rule: InitializationRule
  let pieces: [[Int]]
  let noiseScale: NoiseScale
  /// The encoded mean row (`nil` when the rule needs no statistics).
  let meanRow: [UInt8]?
  let mean: [Double]
  let deviation: [Double]?
  /// The Cholesky factor of the covariance, for `mvn`.
  var factor: CholeskyFactor?
  /// Remarks for the report (mvn fallbacks, noise erased by rounding).
  var notes: [String] = []
  /// Whether a token row made by `mvn` differs from the mean row.
  private var noiseSurvived = false
  /// Whether a token row was made by `mvn` with its factor.
  private var madeNoisyRows = false

  package init(
    initializer: RowInitializer, targets: [RowInitializer.Target], rule: InitializationRule, pieces: [[Int]],
    noiseScale: NoiseScale, meanRow: [UInt8]?, mean: [Double], deviation: [Double]?
  ) {
    self.initializer = initializer
    self.targets = targets
    self.rule = rule
    self.pieces = pieces
    self.noiseScale = noiseScale
    self.meanRow = meanRow
    self.mean = mean
    self.deviation = deviation
  }

  /// Whether `mvn` fell back to `mean` for this matrix.
  var fellBackToMean: Bool { rule == .mvn && factor == nil }

  /// The bytes of the rows of `targets[range]`, one after the other.
  ///
  /// - Complexity: O(`range.count` × *dimension*) (× *dimension* more for `mvn`).
  mutating func rows(_ range: Range<Int>, generator: inout SeededGenerator) throws(SurgeryError) -> [UInt8] {
    let format = initializer.format
    let dimension = initializer.dimension
    let zeroRow = [UInt8](repeating: 0, count: initializer.rowBytes)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(range.count * initializer.rowBytes)
    let noise = noiseScale.value.squareRoot()
    for target in targets[range] {
      guard case .token(let index) = target else {
        bytes += meanRow ?? zeroRow
        continue
      }
      switch rule {
      case .mean: bytes += meanRow ?? zeroRow
      case .zeros: bytes += zeroRow
      case .random:
        guard let deviation else {
          bytes += meanRow ?? zeroRow
          continue
        }
        var values = [Double](repeating: 0, count: dimension)
        for column in 0..<dimension {
          values[column] = mean[column] + deviation[column] * generator.nextNormal()
        }
        bytes += format.encode(values)
      case .mvn:
        guard let factor else {
          bytes += meanRow ?? zeroRow
          continue
        }
        var draws = [Double](repeating: 0, count: dimension)
        for column in 0..<dimension { draws[column] = generator.nextNormal() }
        let correlated = factor.multiply(draws)
        var values = mean
        for column in 0..<dimension { values[column] += noise * correlated[column] }
        let row = format.encode(values)
        madeNoisyRows = true
        if row != meanRow { noiseSurvived = true }
        bytes += row
      case .nearest:
        bytes += pieces[index].isEmpty ? meanRow ?? zeroRow : format.encode(try initializer.meanOfRows(pieces[index]))
      }
    }
    return bytes
  }

  /// The remarks once every row is made: ``notes``, and a note when rounding erased the noise of
  /// every `mvn` row.
  var finalNotes: [String] {
    guard madeNoisyRows, !noiseSurvived else { return notes }
    return notes + [
      "\(initializer.format.rawValue) rounding erased the mvn noise (scale \(noiseScale)) in '\(initializer.tensor.name)': the new rows equal the mean row"
    ]
  }
}

/// Computes the new entries of a head bias: the mean of the original entries.
struct BiasInitializer {
  let tensor: TensorInfo
  let file: SafeTensorsFile
  let format: FloatingPointFormat

  package init(tensor: TensorInfo, file: SafeTensorsFile) throws(SurgeryError) {
    self.tensor = tensor
    self.file = file
    self.format = try FloatingPointFormat.of(tensor, path: file.path)
  }

  /// The encoded mean of every original entry.
  func meanEntry() -> [UInt8] {
    let count = tensor.elementCount
    var values = [Double](repeating: 0, count: count)
    file.withData(of: tensor) { buffer in
      values.withUnsafeMutableBufferPointer { format.decode(buffer, into: $0) }
    }
    let mean = count > 0 ? values.reduce(0, +) / Double(count) : 0
    return format.encode([mean])
  }
}

import SafeTensors

/// Computes the bytes of the rows a resize writes into one matrix (the embedding or the untied
/// head), each matrix from its own original rows.
struct RowInitializer {
  /// What a written row is for.
  enum Target: Sendable {
    /// The row of a new token: its index in the plan's `added` list.
    case token(Int)
    /// A padding row (from `--pad-to-multiple-of`, or between the matrix and the tokenizer's size).
    case padding
  }

  /// The matrix, read through the windowed row reader.
  let matrix: MatrixRows
  var tensor: TensorInfo { matrix.tensor }
  var file: SafeTensorsFile { matrix.file }
  var format: FloatingPointFormat { matrix.format }
  var dimension: Int { matrix.dimension }
  var rows: Int { matrix.rows }
  var rowBytes: Int { matrix.rowBytes }

  init(tensor: TensorInfo, file: SafeTensorsFile) throws(SurgeryError) {
    matrix = try MatrixRows(tensor: tensor, file: file)
  }

  /// Column statistics over every original row that is not all zero and not in `excluded`, read
  /// in 16 MiB windows whose pages are released as soon as they are reduced (so memory does not grow
  /// with the matrix).
  func statistics(includingSquares: Bool, excluding excluded: Set<Int> = []) -> ColumnStatistics {
    var statistics = ColumnStatistics(dimension: dimension, includingSquares: includingSquares)
    forEachRun(excluding: excluded) { statistics.accumulate($0) }
    return statistics
  }

  /// The covariance of the original rows that are not all zero and not in `excluded`, around `mean`.
  func covariance(mean: [Double], excluding excluded: Set<Int>) -> CovarianceMatrix {
    var covariance = CovarianceMatrix(mean: mean)
    forEachRun(excluding: excluded) { run in
      // All-zero rows are left out, as in the statistics.
      let zero = Set(run.rowIDs.filter { id in
        run.row(id).baseAddress.map { format.isAllZero($0, count: dimension) } ?? true
      })
      run.forEachRun(excluding: zero) { covariance.accumulate($0) }
    }
    return covariance
  }

  /// Calls `body` with each run of consecutive rows not in `excluded`, window by window,
  /// releasing each window's pages once it is done.
  func forEachRun(excluding excluded: Set<Int>, _ body: (RowWindow) -> Void) {
    matrix.forEachWindow { window in window.forEachRun(excluding: excluded, body) }
  }

  /// The mean of the given original rows, in `Double`.
  func meanOfRows(_ ids: [Int]) -> [Double] {
    var sums = [Double](repeating: 0, count: dimension)
    var row = [Double](repeating: 0, count: dimension)
    for id in ids {
      matrix.withRow(id) { buffer in
        guard let base = buffer.baseAddress else { return }
        row.withUnsafeMutableBufferPointer { destination in
          guard let target = destination.baseAddress else { return }
          format.decode(base, count: dimension, into: target)
        }
      }
      for column in 0..<dimension { sums[column] += row[column] }
    }
    return sums.map { $0 / Double(max(ids.count, 1)) }
  }

  /// The bytes of each target row, in the order given, remarks for the report, and whether
  /// `mvn` fell back to `mean`.
  ///
  /// - Parameters:
  ///   - targets: the rows to write.
  ///   - rule: the initialization rule.
  ///   - pieces: for `nearest`, the usable piece ids of each added token (empty: fall back to mean).
  ///   - generator: the generator of the `random` and `mvn` rules.
  ///   - excluded: rows left out of the statistics (besides all-zero rows): untrained rows and
  ///     the rows being re-initialized.
  ///   - noiseScale: S of the `mvn` rule (noise covariance S·Σ).
  func rows(
    for targets: [Target], rule: InitializationRule, pieces: [[Int]],
    generator: inout SeededGenerator, excluding excluded: Set<Int> = [], noiseScale: NoiseScale = .standard
  ) -> (rows: [[UInt8]], notes: [String], fellBackToMean: Bool) {
    let needsStatistics =
      rule == .mean || rule == .random || rule == .mvn
      || targets.contains {
        if case .token(let index) = $0 { return rule == .nearest && pieces[index].isEmpty }
        return true
      }
    let statistics = needsStatistics ? statistics(includingSquares: rule == .random, excluding: excluded) : nil
    let meanRow = statistics.map { format.encode($0.mean) }
    let deviation = statistics?.standardDeviation
    let mean = statistics?.mean ?? []
    let zeroRow = [UInt8](repeating: 0, count: rowBytes)
    var notes: [String] = []
    var factor: CholeskyFactor?
    if rule == .mvn, let statistics, targets.contains(where: { if case .token = $0 { true } else { false } }) {
      let covariance = self.covariance(mean: statistics.mean, excluding: excluded).covariance
      factor = CholeskyFactor(covariance, dimension: dimension)
      if factor == nil {
        notes.append(
          "the covariance of the trained rows of '\(tensor.name)' is not positive definite: the mvn rule fell back to mean")
      }
    }
    let noise = noiseScale.value.squareRoot()
    let rows = targets.map { target -> [UInt8] in
      guard case .token(let index) = target else { return meanRow ?? zeroRow }
      switch rule {
      case .mean: return meanRow ?? zeroRow
      case .zeros: return zeroRow
      case .random:
        guard let deviation else { return meanRow ?? zeroRow }
        var values = [Double](repeating: 0, count: dimension)
        for column in 0..<dimension {
          values[column] = mean[column] + deviation[column] * generator.nextNormal()
        }
        return format.encode(values)
      case .mvn:
        guard let factor else { return meanRow ?? zeroRow }
        var draws = [Double](repeating: 0, count: dimension)
        for column in 0..<dimension { draws[column] = generator.nextNormal() }
        let correlated = factor.multiply(draws)
        var values = mean
        for column in 0..<dimension { values[column] += noise * correlated[column] }
        return format.encode(values)
      case .nearest:
        if pieces[index].isEmpty { return meanRow ?? zeroRow }
        return format.encode(meanOfRows(pieces[index]))
      }
    }
    if rule == .mvn, factor != nil, let meanRow {
      let tokenRows = zip(targets, rows).compactMap { target, row -> [UInt8]? in
        if case .token = target { return row }
        return nil
      }
      if !tokenRows.isEmpty, tokenRows.allSatisfy({ $0 == meanRow }) {
        notes.append(
          "\(format.rawValue) rounding erased the mvn noise (scale \(noiseScale)) in '\(tensor.name)': the new rows equal the mean row")
      }
    }
    return (rows, notes, rule == .mvn && factor == nil)
  }
}

/// Computes the new entries of a head bias: the mean of the original entries.
struct BiasInitializer {
  let tensor: TensorInfo
  let file: SafeTensorsFile
  let format: FloatingPointFormat

  init(tensor: TensorInfo, file: SafeTensorsFile) throws(SurgeryError) {
    self.tensor = tensor
    self.file = file
    self.format = try FloatingPointFormat.of(tensor, path: file.path)
  }

  /// The encoded mean of every original entry.
  func meanEntry() -> [UInt8] {
    let count = tensor.elementCount
    var values = [Double](repeating: 0, count: count)
    file.withData(of: tensor) { buffer in
      guard let base = buffer.baseAddress else { return }
      values.withUnsafeMutableBufferPointer { destination in
        guard let target = destination.baseAddress else { return }
        format.decode(base, count: count, into: target)
      }
    }
    let mean = count > 0 ? values.reduce(0, +) / Double(count) : 0
    return format.encode([mean])
  }
}

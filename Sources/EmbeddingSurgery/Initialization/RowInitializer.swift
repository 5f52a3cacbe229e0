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

  let tensor: TensorInfo
  let file: SafeTensorsFile
  let format: FloatingPointFormat
  var dimension: Int { tensor.shape[1] }
  var rows: Int { tensor.shape[0] }
  var rowBytes: Int { dimension * format.byteWidth }

  init(tensor: TensorInfo, file: SafeTensorsFile) throws(SurgeryError) {
    guard let format = FloatingPointFormat(rawValue: tensor.dtype.rawValue) else {
      throw .unsupportedTensor(
        path: file.path, name: tensor.name.string, reason: "has dtype \(tensor.dtype.rawValue)")
    }
    self.tensor = tensor
    self.file = file
    self.format = format
  }

  /// Column statistics over every original row that is not all zero, read in 16 MiB windows whose
  /// pages are released as soon as they are reduced (so memory does not grow with the matrix).
  func statistics(includingSquares: Bool) -> ColumnStatistics {
    var statistics = ColumnStatistics(dimension: dimension, includingSquares: includingSquares)
    let range = file.absoluteRange(of: tensor)
    let windowRows = max(1, (16 << 20) / max(rowBytes, 1))
    var start = 0
    while start < rows {
      let count = min(windowRows, rows - start)
      let window = (range.lowerBound + start * rowBytes)..<(range.lowerBound + (start + count) * rowBytes)
      file.withBytes(in: window) { buffer in
        guard let base = buffer.baseAddress else { return }
        statistics.accumulate(rows: base, rowCount: count, format: format)
      }
      file.releasePages(in: window)
      start += count
    }
    return statistics
  }

  /// The mean of the given original rows, in `Double`.
  func meanOfRows(_ ids: [Int]) -> [Double] {
    var sums = [Double](repeating: 0, count: dimension)
    var row = [Double](repeating: 0, count: dimension)
    let range = file.absoluteRange(of: tensor)
    for id in ids {
      let start = range.lowerBound + id * rowBytes
      file.withBytes(in: start..<(start + rowBytes)) { buffer in
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

  /// The bytes of each target row, in the order given.
  ///
  /// - Parameters:
  ///   - targets: the rows to write.
  ///   - rule: the initialization rule.
  ///   - pieces: for `nearest`, the usable piece ids of each added token (empty: fall back to mean).
  ///   - generator: the generator of the `random` rule.
  func rows(
    for targets: [Target], rule: InitializationRule, pieces: [[Int]],
    generator: inout SeededGenerator
  ) -> [[UInt8]] {
    let needsStatistics =
      rule == .mean || rule == .random
      || targets.contains {
        if case .token(let index) = $0 { return rule == .nearest && pieces[index].isEmpty }
        return true
      }
    let statistics = needsStatistics ? statistics(includingSquares: rule == .random) : nil
    let meanRow = statistics.map { format.encode($0.mean) }
    let deviation = statistics?.standardDeviation
    let mean = statistics?.mean ?? []
    let zeroRow = [UInt8](repeating: 0, count: rowBytes)
    return targets.map { target in
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
      case .nearest:
        if pieces[index].isEmpty { return meanRow ?? zeroRow }
        return format.encode(meanOfRows(pieces[index]))
      }
    }
  }
}

/// Computes the new entries of a head bias: the mean of the original entries.
struct BiasInitializer {
  let tensor: TensorInfo
  let file: SafeTensorsFile
  let format: FloatingPointFormat

  init(tensor: TensorInfo, file: SafeTensorsFile) throws(SurgeryError) {
    guard let format = FloatingPointFormat(rawValue: tensor.dtype.rawValue) else {
      throw .unsupportedTensor(
        path: file.path, name: tensor.name.string, reason: "has dtype \(tensor.dtype.rawValue)")
    }
    self.tensor = tensor
    self.file = file
    self.format = format
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

import SafeTensors

/// The row source of a transplant: the rows of donor tokens that match no base token (matched
/// tokens' rows are original rows of the ``RowMap``), and padding rows.
///
/// - `omp`: for the embedding, and for an untied head, the donor's rows of the approximated tokens
///   are expressed by ``OrthogonalMatchingPursuit`` over the donor's rows of matched tokens (the
///   anchors); each row written is the same combination of the base rows of those anchors. A tied
///   donor's embedding serves both pursuits (the head's codes are the embedding's).
/// - `nearest`: the mean of the base rows of the pieces the base tokenizer splits the token into,
///   as resize's `nearest` computes it (``RowInitializer``); `mean`: the mean row.
///
/// Padding rows and a head bias's written entries get the mean.
///
/// Memory: the pursuit's dictionary (anchors × donor width, `Float`) and the approximated donor
/// rows (tokens × donor width), not the matrices: base rows are read (`pread`) as they are combined.
public struct TransplantRows: RowSource {
  /// What making the rows found.
  public struct Outcome: Sendable {
    /// For `omp`: the relative residual of each approximated token's embedding pursuit and its
    /// largest absolute coefficient (`nil` otherwise), by index into the approximated tokens.
    package var residuals: [Float]?
    package var maxCoefficients: [Float]?
    /// Remarks.
    package var notes: [String] = []
  }

  /// The rows of one rewritten tensor, being made.
  private enum Rows {
    case initialized(RowProduction)
    case combined(SparseCodes, baseAnchors: [Int], matrix: MatrixRows, meanRow: [UInt8]?)
    case bias(entry: [UInt8])
  }

  let initialization: TransplantInitialization
  /// What each written row is for (``RowInitializer/Target/token(_:)`` indexes the approximated tokens).
  let targets: [RowInitializer.Target]
  /// The donor ids of the approximated tokens.
  let approximatedIDs: [Int]
  /// The matched donor ids (the pursuit's anchors) and their base ids.
  let anchorDonorIDs: [Int]
  let anchorBaseIDs: [Int]
  /// For `nearest`: the base pieces of each approximated token.
  let pieces: [[Int]]
  /// The donor's embedding and untied head, for `omp`.
  let donorEmbedding: MatrixRows?
  let donorHead: MatrixRows?
  let atoms: Int
  let threads: Int
  private var rows: [Rows] = []
  public private(set) var outcome = Outcome()

  init(
    initialization: TransplantInitialization, targets: [RowInitializer.Target], approximatedIDs: [Int],
    anchorDonorIDs: [Int], anchorBaseIDs: [Int], pieces: [[Int]], donorEmbedding: MatrixRows?, donorHead: MatrixRows?,
    atoms: Int, threads: Int
  ) {
    self.initialization = initialization
    self.targets = targets
    self.approximatedIDs = approximatedIDs
    self.anchorDonorIDs = anchorDonorIDs
    self.anchorBaseIDs = anchorBaseIDs
    self.pieces = pieces
    self.donorEmbedding = donorEmbedding
    self.donorHead = donorHead
    self.atoms = atoms
    self.threads = threads
  }

  public mutating func prepare(_ tensors: [RewrittenTensor], threads: Int) throws(SurgeryError) {
    guard !targets.isEmpty else { return }
    var embeddingCodes: SparseCodes?
    for (index, tensor) in tensors.enumerated() {
      if tensor.isBias {
        rows.append(.bias(entry: try BiasInitializer(tensor: tensor.tensor, file: tensor.file).meanEntry()))
        continue
      }
      let initializer = try RowInitializer(tensor: tensor.tensor, file: tensor.file)
      guard initialization == .omp, let donorEmbedding, !anchorDonorIDs.isEmpty else {
        rows.append(
          .initialized(
            initializer.prepare(
              targets, rule: initialization == .nearest ? .nearest : .mean, pieces: pieces, threads: threads)))
        continue
      }
      // Padding rows, and tokens past the donor's rows (no donor row to pursue), get the mean.
      let needsMean =
        targets.contains { if case .padding = $0 { true } else { false } }
        || approximatedIDs.contains { $0 >= donorEmbedding.rows }
      let meanRow =
        needsMean ? initializer.matrix.format.encode(initializer.statistics(includingSquares: false).mean) : nil
      let codes: SparseCodes
      if index > 0, donorHead == nil, let embeddingCodes {
        codes = embeddingCodes
      } else {
        // The pursuit gets all the threads asked for, even while the unchanged files are still
        // being copied (which `threads` leaves a core to): it runs for tens of seconds, the copy
        // beside it for a few.
        codes = pursue(index == 0 ? donorEmbedding : donorHead ?? donorEmbedding, threads: self.threads)
      }
      if index == 0 {
        embeddingCodes = codes
        outcome.residuals = codes.relativeResiduals
        outcome.maxCoefficients = (0..<codes.relativeResiduals.count).map { row in
          codes.coefficients[(row * codes.k)..<((row + 1) * codes.k)].reduce(Float(0)) { max($0, abs($1)) }
        }
      }
      rows.append(.combined(codes, baseAnchors: anchorBaseIDs, matrix: initializer.matrix, meanRow: meanRow))
    }
  }

  /// The pursuit of the approximated tokens' rows of `donor` over its rows of the anchors.
  private func pursue(_ donor: MatrixRows, threads: Int) -> SparseCodes {
    let width = donor.dimension
    let dictionary = Self.decodeRows(anchorDonorIDs, of: donor)
    let wanted = approximatedIDs.map { $0 < donor.rows ? $0 : -1 }
    let targetRows = Self.decodeRows(wanted, of: donor)
    return dictionary.withUnsafeBufferPointer { dictionary in
      targetRows.withUnsafeBufferPointer { targetRows in
        OrthogonalMatchingPursuit.codes(
          dictionary: dictionary, anchorCount: anchorDonorIDs.count, width: width, targets: targetRows,
          targetCount: wanted.count, k: min(atoms, anchorDonorIDs.count), threads: threads)
      }
    }
  }

  /// The rows `ids` of `matrix` as `Float`, one after the other (zeros for an id of -1), read a
  /// window at a time with each window's pages released.
  static func decodeRows(_ ids: [Int], of matrix: MatrixRows) -> [Float] {
    let width = matrix.dimension
    var result = [Float](repeating: 0, count: ids.count * width)
    var positions: [Int: [Int]] = [:]
    for (position, id) in ids.enumerated() where id >= 0 && id < matrix.rows {
      positions[id, default: []].append(position)
    }
    result.withUnsafeMutableBufferPointer { result in
      matrix.forEachWindow { window in
        for id in window.firstRow..<(window.firstRow + window.rowCount) {
          guard let places = positions[id] else { continue }
          for place in places {
            matrix.format.decode(
              window.row(id),
              into: UnsafeMutableBufferPointer(rebasing: result[(place * width)..<((place + 1) * width)]))
          }
        }
      }
    }
    return result
  }

  public mutating func fill(
    _ rows: Range<Int>, of tensor: Int, into destination: UnsafeMutableRawBufferPointer
  ) throws(SurgeryError) {
    switch self.rows[tensor] {
    case .bias(let entry):
      for (index, byte) in Array(repeatElement(entry, count: rows.count).joined()).enumerated() {
        destination[index] = byte
      }
    case .initialized(var production):
      var generator = SeededGenerator(seed: 0)
      let bytes = try production.rows(rows, generator: &generator)
      self.rows[tensor] = .initialized(production)
      destination.copyBytes(from: bytes)
    case .combined(let codes, let anchors, let matrix, let meanRow):
      var offset = 0
      for row in rows {
        let bytes: [UInt8]
        if case .token(let index) = targets[row], approximatedIDs[index] < (donorEmbedding?.rows ?? 0) {
          bytes = try Self.combine(codes, row: index, anchors: anchors, matrix: matrix)
        } else {
          bytes = meanRow ?? Array(repeating: 0, count: matrix.rowBytes)
        }
        UnsafeMutableRawBufferPointer(rebasing: destination[offset..<(offset + bytes.count)]).copyBytes(from: bytes)
        offset += bytes.count
      }
    }
  }

  /// Σ coefficient × base row of the anchor, over the atoms of `codes`' row `row`, encoded.
  static func combine(_ codes: SparseCodes, row: Int, anchors: [Int], matrix: MatrixRows) throws(SurgeryError)
    -> [UInt8]
  {
    let width = matrix.dimension
    var sums = [Double](repeating: 0, count: width)
    var values = [Float](repeating: 0, count: width)
    for slot in (row * codes.k)..<((row + 1) * codes.k) {
      let atom = Int(codes.atoms[slot])
      guard atom >= 0 else { continue }
      let bytes: [UInt8]
      do {
        bytes = try matrix.file.read(matrix.byteRange(first: anchors[atom], count: 1))
      } catch {
        throw .safeTensors(error)
      }
      bytes.withUnsafeBytes { raw in
        values.withUnsafeMutableBufferPointer { matrix.format.decode(raw, into: $0) }
      }
      let coefficient = Double(codes.coefficients[slot])
      for column in 0..<width { sums[column] += coefficient * Double(values[column]) }
    }
    return matrix.format.encode(sums)
  }
}

import SafeTensors
import StrictJSON
import SystemPackage
import Tokenization

/// The complete plan of a transplant: which base row each donor token takes, which rows are
/// approximated and how, the row count, and the files replaced. Making a plan reads headers, the
/// two tokenizers and their small JSON files; ``execute(into:linkingUnchanged:progress:)`` does
/// the work (``RowRewritingPlan``).
public struct TransplantPlan: RowRewritingPlan {
  public typealias Report = TransplantReport

  public static let outputSuffix = "transplanted"

  /// The model that gets the donor's tokenizer.
  public let model: ModelCheckpoint
  /// What was asked.
  public let request: TransplantRequest
  /// The tensors and the files holding them.
  let tensors: LocatedRoles
  public var roles: TensorRoles { tensors.roles }
  /// The embedding's rows before and after.
  public let rowsBefore: Int
  public let rowsAfter: Int
  /// The rule of the approximated rows.
  public let initialization: TransplantInitialization
  /// The donor tokens' matches.
  public let matching: TokenMatching
  /// The donor ids of the tokens approximated, ascending.
  public let approximatedIDs: [Int]
  /// What each written row is for (``RowInitializer/Target/token(_:)`` indexes ``approximatedIDs``).
  let targets: [RowInitializer.Target]
  public let rowMap: RowMap
  /// What the donor's tokens stand for.
  let donorBytes: VocabularyBytes
  /// For `nearest`: the base pieces of each approximated token.
  let pieces: [[Int]]
  /// The donor's embedding and untied head (for `omp`).
  let donorEmbedding: MatrixRows?
  let donorHead: MatrixRows?
  /// The numbers the two tokenizers split differently, or `nil` when one of them cannot encode.
  let numberSplits: NumberSplits?
  /// Remarks made while planning.
  let planningNotes: [String]

  /// A transplant always writes its output.
  public var writesAnything: Bool { true }

  /// Plans a transplant.
  ///
  /// - Throws: ``SurgeryError`` when the model, the donor or the request cannot be used.
  public init(model: ModelCheckpoint, request: TransplantRequest) throws(SurgeryError) {
    self.model = model
    self.request = request
    let donor = request.donor
    guard let baseVocabulary = model.vocabulary, let baseJSON = model.tokenizerJSON else {
      throw .missingTokenizer(path: model.path, for: .transplant)
    }
    try Self.check(request, model: model)
    let tensors = try LocatedRoles(model: model, embeddingName: nil, headName: nil)
    self.tensors = tensors
    rowsBefore = tensors.roles.embedding.shape[0]
    initialization = request.initialization ?? (donor.weights == nil ? .nearest : .omp)
    (donorEmbedding, donorHead) =
      initialization == .omp ? try Self.donorMatrices(of: donor, matching: tensors.roles) : (nil, nil)

    let baseBytes = VocabularyBytes(json: baseJSON, vocabulary: baseVocabulary)
    donorBytes = donor.bytes
    matching = TokenMatching(
      donor: donor.bytes, donorRoles: donor.roles, base: baseBytes, baseVocabulary: baseVocabulary,
      baseRoles: try SpecialRoles(folder: model.folder, vocabulary: baseVocabulary), baseRows: rowsBefore)
    rowsAfter = Self.rowCount(donor.rows, paddedToMultipleOf: request.padToMultipleOf)
    let layout = Self.layOutRows(
      rowsAfter, matching: matching, donorBytes: donor.bytes, baseBytes: baseBytes, rowsBefore: rowsBefore)
    rowMap = layout.rowMap
    targets = layout.targets
    approximatedIDs = layout.approximatedIDs

    let baseTokenizer = try? model.makeTokenizer()
    (numberSplits, planningNotes) = try Self.numberSplits(
      base: baseTokenizer, baseBytes: baseBytes, donor: donor)
    if initialization == .nearest {
      guard let baseTokenizer else { throw .missingTokenizer(path: model.path, for: .nearestRule) }
      pieces = try Self.basePieces(
        of: approximatedIDs, in: donor.bytes, splitBy: BasePieces(tokenizer: baseTokenizer, bytes: baseBytes),
        rowsBefore: rowsBefore)
    } else {
      pieces = approximatedIDs.map { _ in [] }
    }
  }

  public var rowSource: TransplantRows {
    var anchorDonorIDs: [Int] = []
    var anchorBaseIDs: [Int] = []
    let donorRows = donorEmbedding?.rows ?? 0
    for (id, match) in matching.matches.enumerated() where id < donorRows {
      guard let match else { continue }
      anchorDonorIDs.append(id)
      anchorBaseIDs.append(match.baseID)
    }
    return TransplantRows(
      initialization: initialization, targets: targets, approximatedIDs: approximatedIDs,
      anchorDonorIDs: anchorDonorIDs, anchorBaseIDs: anchorBaseIDs, pieces: pieces, donorEmbedding: donorEmbedding,
      donorHead: donorHead, atoms: request.atoms, threads: request.threads ?? ParallelWork.defaultThreadCount)
  }
}

// The steps of planning a transplant.
extension TransplantPlan {
  /// Checks the request's numbers: a padding multiple and a number of atoms of at least 1.
  private static func check(_ request: TransplantRequest, model: ModelCheckpoint) throws(SurgeryError) {
    if let multiple = request.padToMultipleOf, multiple < 1 {
      throw .invalidRequest(
        path: model.path, reason: "the row count cannot be padded to a multiple of \(multiple)")
    }
    guard request.atoms >= 1 else {
      throw .invalidRequest(path: model.path, reason: "a pursuit needs at least one atom, not \(request.atoms)")
    }
  }

  /// For `omp`: the donor's embedding and untied head, each of the dtype of the model's matrix
  /// it stands beside.
  private static func donorMatrices(of donor: TransplantDonor, matching roles: TensorRoles) throws(SurgeryError)
    -> (embedding: MatrixRows?, head: MatrixRows?)
  {
    guard let weights = donor.weights else {
      throw .invalidRequest(
        path: donor.path,
        reason:
          "has no weights (model.safetensors): the omp rule expresses the donor's rows of new tokens by its rows of shared ones; use the nearest or mean rule"
      )
    }
    let donorTensors = try LocatedRoles(model: weights, embeddingName: nil, headName: nil)
    var pairs = [(donorTensors.roles.embedding, donorTensors.embeddingFile, roles.embedding)]
    if let baseHead = roles.head, let donorHead = donorTensors.roles.head, let file = donorTensors.headFile {
      pairs.append((donorHead, file, baseHead))
    }
    for (donorTensor, file, baseTensor) in pairs where donorTensor.dtype != baseTensor.dtype {
      throw .unsupportedTensor(
        path: weights.folder.appending(file), name: donorTensor.name.string,
        reason:
          "is \(donorTensor.dtype.rawValue), but the model's '\(baseTensor.name.string)' is \(baseTensor.dtype.rawValue): the donor's rows must have the model's dtype"
      )
    }
    let embedding = try MatrixRows(
      tensor: donorTensors.roles.embedding, file: try weights.safeTensorsFile(named: donorTensors.embeddingFile))
    guard let head = donorTensors.roles.head, let file = donorTensors.headFile else { return (embedding, nil) }
    return (embedding, try MatrixRows(tensor: head, file: try weights.safeTensorsFile(named: file)))
  }

  /// The donor's row count, padded up to a multiple of `multiple` when one is asked for.
  private static func rowCount(_ rows: Int, paddedToMultipleOf multiple: Int?) -> Int {
    guard let multiple, rows % multiple != 0 else { return rows }
    return rows + multiple - rows % multiple
  }

  /// What each of the `rows` output rows is: a matched token's base row, an approximated row, or
  /// padding (a donor id without a token keeps the base's own padding row at that id when there
  /// is one, else gets the mean).
  private static func layOutRows(
    _ rows: Int, matching: TokenMatching, donorBytes: VocabularyBytes, baseBytes: VocabularyBytes, rowsBefore: Int
  ) -> (rowMap: RowMap, targets: [RowInitializer.Target], approximatedIDs: [Int]) {
    var runs: [RowMap.Run] = []
    var targets: [RowInitializer.Target] = []
    var approximated: [Int] = []
    func append(_ run: RowMap.Run) {
      switch (runs.last, run) {
      case (.original(let last)?, .original(let next)) where last.upperBound == next.lowerBound:
        runs[runs.count - 1] = .original(last.lowerBound..<next.upperBound)
      case (.written(let last)?, .written(let next)) where last.upperBound == next.lowerBound:
        runs[runs.count - 1] = .written(last.lowerBound..<next.upperBound)
      default: runs.append(run)
      }
    }
    for id in 0..<rows {
      if id < matching.matches.count, let match = matching.matches[id] {
        append(.original(match.baseID..<(match.baseID + 1)))
      } else if donorBytes.entry(for: id) != nil {
        append(.written(targets.count..<(targets.count + 1)))
        targets.append(.token(approximated.count))
        approximated.append(id)
      } else if id < rowsBefore, baseBytes.entry(for: id) == nil {
        append(.original(id..<(id + 1)))
      } else {
        append(.written(targets.count..<(targets.count + 1)))
        targets.append(.padding)
      }
    }
    return (RowMap(runs: runs), targets, approximated)
  }

  /// The numbers the two tokenizers split differently, or `nil` with a note when one of them
  /// cannot be loaded.
  private static func numberSplits(
    base baseTokenizer: Tokenizer?, baseBytes: VocabularyBytes, donor: TransplantDonor
  ) throws(SurgeryError) -> (NumberSplits?, notes: [String]) {
    guard let baseTokenizer, let donorTokenizer = try? donor.makeTokenizer() else {
      return (
        nil,
        ["one of the tokenizers uses a component the engine does not implement: number splits were not compared"]
      )
    }
    return (
      try NumberSplits(base: baseTokenizer, baseBytes: baseBytes, donor: donorTokenizer, donorBytes: donor.bytes), []
    )
  }

  /// For `nearest`: the base pieces (rows the base has) of each approximated donor token.
  private static func basePieces(
    of approximatedIDs: [Int], in donorBytes: VocabularyBytes, splitBy splitter: BasePieces, rowsBefore: Int
  ) throws(SurgeryError) -> [[Int]] {
    var pieces: [[Int]] = []
    for id in approximatedIDs {
      let bytes = donorBytes.entry(for: id)?.bytes.bytes ?? []
      pieces.append(try splitter.pieces(of: bytes).filter { $0 < rowsBefore })
    }
    return pieces
  }
}

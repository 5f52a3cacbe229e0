import SafeTensors
import Tokenization

/// What a user asks of `fix-untrained`: which rows to re-initialize and how.
public struct FixUntrainedRequest: Sendable {
  /// The rows to re-initialize; `nil` for the rows ``UntrainedRows`` flags in the embedding or
  /// the head (all-zero, NaN/Inf, or a norm far below the rest).
  public var ids: [Int]?
  /// How the rows are initialized: `mean`, `random`, `zeros` or `mvn` (not `nearest`).
  public var initialization: InitializationRule
  /// The seed of `random` and `mvn`.
  public var seed: UInt64
  /// S of `mvn`.
  public var noiseScale: Double
  /// The embedding tensor's name, overriding detection.
  public var embeddingName: String?
  /// The output head's name, overriding detection.
  public var headName: String?

  /// Creates a request.
  public init(
    ids: [Int]? = nil, initialization: InitializationRule = .mean, seed: UInt64 = 0,
    noiseScale: Double = 1e-5, embeddingName: String? = nil, headName: String? = nil
  ) {
    self.ids = ids
    self.initialization = initialization
    self.seed = seed
    self.noiseScale = noiseScale
    self.embeddingName = embeddingName
    self.headName = headName
  }
}

/// The plan of a `fix-untrained`: the rows re-initialized in the embedding and the untied head
/// (and their head-bias entries, set to the bias mean), by a rule computed over the trained rows
/// only (rows neither re-initialized nor flagged by ``UntrainedRows``). The matrix keeps its shape;
/// the rest of the checkpoint is copied as `resize` copies it, the JSON files byte for byte.
public struct FixUntrainedPlan: Sendable {
  /// A row that will be re-initialized.
  public struct Row: Sendable, Equatable {
    /// The row's id.
    public var id: Int
    /// Its token in the tokenizer, when there is one.
    public var token: String?
    /// Why the embedding's row is flagged (empty when it is not, or when ids were given).
    public var embeddingReasons: [String]
    /// Why the head's row is flagged.
    public var headReasons: [String]
  }

  /// The model.
  public let model: ModelCheckpoint
  /// What was asked.
  public let request: FixUntrainedRequest
  /// The tensors that change.
  public var roles: TensorRoles { tensors.roles }
  /// The rows re-initialized, ascending (rows flagged in either matrix are re-initialized in both).
  public let rows: [Row]
  /// The tensors and the files holding them.
  let tensors: LocatedRoles

  /// Plans the repair: finds the tensors and, without `ids`, scans the embedding and the head
  /// for untrained rows (one streaming pass over each).
  ///
  /// - Throws: ``SurgeryError`` for an unusable model, an id out of range, or `--init nearest`.
  public init(model: ModelCheckpoint, request: FixUntrainedRequest) throws(SurgeryError) {
    self.model = model
    self.request = request
    if request.initialization == .nearest {
      throw .invalidRequest(
        path: model.path, reason: "--init nearest is for new tokens; use mean, random, zeros or mvn")
    }
    if !(request.noiseScale >= 0 && request.noiseScale.isFinite) {
      throw .invalidRequest(path: model.path, reason: "--noise-scale must be a finite number ≥ 0")
    }
    let tensors = try LocatedRoles(model: model, embeddingName: request.embeddingName, headName: request.headName)
    self.tensors = tensors
    let roles = tensors.roles
    let rowCount = roles.embedding.shape[0]
    func flags(_ tensor: TensorInfo?, _ fileName: String?) throws(SurgeryError) -> [Int: Set<UntrainedRows.Reason>] {
      guard let tensor, let fileName else { return [:] }
      return try UntrainedRows.find(in: tensor, file: model.safeTensorsFile(named: fileName))
    }
    let embeddingFlags = try flags(roles.embedding, tensors.embeddingFile)
    let headFlags = try flags(roles.head, tensors.headFile)
    let ids: [Int]
    if let given = request.ids {
      for id in given where id < 0 || id >= rowCount {
        throw .invalidRequest(path: model.path, reason: "id \(id) is not a row (the embedding has \(rowCount) rows)")
      }
      ids = Array(Set(given)).sorted()
    } else {
      ids = Set(embeddingFlags.keys).union(headFlags.keys).sorted()
    }
    rows = ids.map { id in
      Row(
        id: id, token: model.vocabulary?.token(of: id),
        embeddingReasons: (embeddingFlags[id] ?? []).sorted().map(\.rawValue),
        headReasons: (headFlags[id] ?? []).sorted().map(\.rawValue))
    }
  }

  /// The names of the tensors that change.
  public var changedTensors: [String] {
    rows.isEmpty ? [] : [roles.embedding, roles.head, roles.headBias].compactMap { $0?.name.string }
  }

  /// Where the output goes by default: `NAME-fixed.safetensors` beside a file, `DIR-fixed` beside a folder.
  public var defaultOutputPath: String {
    var path = model.path
    while path.count > 1, path.hasSuffix("/") { path.removeLast() }
    if model.isFolder { return path + "-fixed" }
    if path.hasSuffix(".safetensors") { return String(path.dropLast(".safetensors".count)) + "-fixed.safetensors" }
    return path + "-fixed"
  }

  /// The rows this plan writes.
  func rowRewrite() -> RowRewrite {
    let rowCount = roles.embedding.shape[0]
    return RowRewrite(
      model: model, tensors: tensors, rowsBefore: rowCount, rowsAfter: rowCount,
      rows: rows.enumerated().map { ($1.id, .token($0)) }, rule: request.initialization,
      pieces: rows.map { _ in [] }, seed: request.seed, noiseScale: request.noiseScale,
      excluded: Set(rows.map(\.id)), excludingUntrained: true)
  }

  /// The report without writing anything (`--dry-run`).
  public func dryRunReport(output: ResizeOutput) -> FixUntrainedReport {
    report(output: outputPath(output), written: false, notes: [])
  }

  /// Writes the checkpoint with the rows re-initialized to a temporary path beside the output,
  /// then moves it into place. Writes nothing when there is no row to fix.
  ///
  /// - Complexity: a pass over the embedding and head for the statistics (two for `mvn`), then
  ///   a copy of the checkpoint (in the kernel for untouched data).
  public func execute(
    into output: ResizeOutput, progress: (@Sendable (Int64, Int64) -> Void)? = nil
  ) throws(SurgeryError) -> FixUntrainedReport {
    guard !rows.isEmpty else {
      return report(output: outputPath(output), written: false, notes: ["no untrained rows: nothing written"])
    }
    let destination = try OutputDestination(
      output, inputPath: model.path, inputIsFolder: model.isFolder, defaultPath: defaultOutputPath)
    let rewrite = rowRewrite()
    var computed = RowRewrite.ComputedRows()
    try rewrite.write(try rewrite.layout(), edited: [:], to: destination, progress: progress) {
      () throws(SurgeryError) -> [RowPatch] in
      computed = try rewrite.computeRows()
      return computed.patches
    }
    return report(
      output: destination.path, written: true, notes: computed.notes,
      ruleApplied: RowRewrite.ruleApplied(request.initialization, computed: computed))
  }

  func outputPath(_ output: ResizeOutput) -> String {
    switch output {
    case .inPlace: model.path
    case .path(let path, _): path
    }
  }

  func report(
    output: String, written: Bool, notes: [String], ruleApplied: InitializationRule? = nil
  ) -> FixUntrainedReport {
    var notes = notes
    if rows.isEmpty, notes.isEmpty { notes.append("no untrained rows") }
    return FixUntrainedReport(
      rows: rows, initialization: ruleApplied ?? request.initialization, changed: changedTensors, tied: roles.isTied,
      output: output, written: written, notes: notes)
  }
}

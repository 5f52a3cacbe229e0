import SafeTensors
import SystemPackage
import Tokenization

/// The plan of a `fix-untrained`: the rows re-initialized in the embedding and the untied head
/// (and their head-bias entries, set to the bias mean), by a rule computed over the trained rows
/// only (rows neither re-initialized nor flagged by ``UntrainedRows``). The matrix keeps its shape;
/// the rest of the checkpoint is copied as `resize` copies it, the JSON files byte for byte.
public struct FixUntrainedPlan: RowRewritingPlan {
  public static let outputSuffix = "fixed"
  public typealias Report = FixUntrainedReport

  /// The model.
  public let model: ModelCheckpoint
  /// What was asked.
  public let request: FixUntrainedRequest
  /// The rows re-initialized, ascending, with their findings (rows flagged in either matrix are
  /// re-initialized in both; rows given by id may have none).
  public let rows: [FlaggedRow]
  /// The embedding, an untied head and a head bias: the tensors whose rows are re-initialized.
  public let roles: TensorRoles

  /// Plans the repair: finds the tensors and, without `ids`, scans the embedding and the head
  /// for untrained rows (one streaming pass over each).
  ///
  /// - Throws: ``SurgeryError`` for an unusable model, an id out of range, or `--init nearest`.
  public init(model: ModelCheckpoint, request: FixUntrainedRequest) throws(SurgeryError) {
    self.model = model
    self.request = request
    if request.initialization == .nearest {
      throw .invalidRequest(
        path: model.path, reason: "the nearest-token rule is for new tokens; use mean, random, zeros or mvn")
    }
    let tensors = try LocatedRoles(model: model, embeddingName: request.embeddingName, headName: request.headName)
    let roles = tensors.roles
    self.roles = roles
    let rowCount = roles.embedding.shape[0]
    func flags(_ tensor: TensorInfo?, _ fileName: String?) throws(SurgeryError) -> [Int: Set<RowFinding>] {
      guard let tensor, let fileName else { return [:] }
      return try UntrainedRows.find(in: tensor, file: model.safeTensorsFile(named: fileName))
    }
    let embeddingFlags = try flags(roles.embedding, tensors.embeddingFile)
    let headFlags = try flags(roles.head, tensors.headFile)
    let ids: [Int]
    if let given = request.ids {
      for id in given where id < 0 || id >= rowCount {
        throw .invalidRequest(
          path: model.path, reason: "id \(id) is not a row (the embedding has \(rowCount) rows)")
      }
      ids = Array(Set(given)).sorted()
    } else {
      ids = Set(embeddingFlags.keys).union(headFlags.keys).sorted()
    }
    rows = ids.map { id in
      FlaggedRow(
        id: id, token: model.vocabulary?.token(of: id), embedding: (embeddingFlags[id] ?? []).sorted(),
        head: (headFlags[id] ?? []).sorted())
    }
  }

  /// Whether there is a row to fix: with none, nothing is written.
  public var writesAnything: Bool { !rows.isEmpty }

  /// Every row kept in place but the rows re-initialized.
  public var rowMap: RowMap {
    let rowCount = roles.embedding.shape[0]
    return .rewriting(rows: rowCount, writtenIDs: rows.map(\.id), rowsAfter: rowCount)
  }

  /// The rows re-initialized by the request's rule, from statistics that leave out those rows and
  /// every row ``UntrainedRows`` flags.
  public var rowSource: InitializedRows {
    InitializedRows(
      model: model, targets: rows.indices.map { .token($0) }, rule: request.initialization, seed: request.seed,
      noiseScale: request.noiseScale, excluded: Set(rows.map(\.id)), excludingUntrained: true)
  }

  /// No other file changes: the JSON files are copied byte for byte.
  public func editedFiles() -> [FilePath: [UInt8]] { [:] }

  /// The report: the rows re-initialized, the rule applied, and the notes.
  public func report(output: FilePath, run: RewriteRun<InitializedRows.Outcome>) -> FixUntrainedReport {
    var notes = (run.outcome?.notes ?? []) + run.notes
    switch run {
    case .nothingToWrite: notes.append("no untrained rows: nothing written")
    case .dryRun where rows.isEmpty: notes.append("no untrained rows")
    default: break
    }
    return FixUntrainedReport(
      rows: rows, initialization: run.outcome?.ruleApplied ?? request.initialization, resized: changedTensors,
      tied: roles.isTied, output: output.string, written: run.wrote, notes: notes)
  }
}

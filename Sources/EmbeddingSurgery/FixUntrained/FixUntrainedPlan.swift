import SafeTensors
import Tokenization

/// The plan of a `fix-untrained`: the rows re-initialized in the embedding and the untied head
/// (and their head-bias entries, set to the bias mean), by a rule computed over the trained rows
/// only (rows neither re-initialized nor flagged by ``UntrainedRows``). The matrix keeps its shape;
/// the rest of the checkpoint is copied as `resize` copies it, the JSON files byte for byte.
public struct FixUntrainedPlan: SurgeryPlan {
  public static let outputSuffix = "fixed"

  /// The model.
  public let model: ModelCheckpoint
  /// What was asked.
  public let request: FixUntrainedRequest
  /// The tensors that change.
  public var roles: TensorRoles { tensors.roles }
  /// The rows re-initialized, ascending, with their findings (rows flagged in either matrix are
  /// re-initialized in both; rows given by id may have none).
  public let rows: [FlaggedRow]
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
        path: model.path, reason: "the nearest-token rule is for new tokens; use mean, random, zeros or mvn")
    }
    let tensors = try LocatedRoles(model: model, embeddingName: request.embeddingName, headName: request.headName)
    self.tensors = tensors
    let roles = tensors.roles
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
        throw .invalidRequest(path: model.path, reason: "id \(id) is not a row (the embedding has \(rowCount) rows)")
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

  /// The names of the tensors that change (none when no row is re-initialized).
  public var changedTensors: [String] { rows.isEmpty ? [] : rewrittenTensors }

  /// The rows this plan writes.
  func rowRewrite() -> RowRewrite {
    let rowCount = roles.embedding.shape[0]
    return RowRewrite(
      model: model, tensors: tensors, rowsBefore: rowCount,
      rowMap: .rewriting(rows: rowCount, writtenIDs: rows.map(\.id), rowsAfter: rowCount),
      targets: rows.indices.map { .token($0) }, rule: request.initialization, seed: request.seed,
      noiseScale: request.noiseScale, excluded: Set(rows.map(\.id)), excludingUntrained: true)
  }

  /// Whether there is a row to fix: with none, nothing is written.
  public var writesAnything: Bool { !rows.isEmpty }

  /// The report without writing anything (`--dry-run`).
  public func dryRunReport(output: SurgeryOutput) -> FixUntrainedReport {
    report(output: outputPath(for: output), written: false, notes: [])
  }

  /// Writes the checkpoint with the rows re-initialized to a temporary path beside the output,
  /// then moves it into place. Writes nothing when there is no row to fix.
  ///
  /// - Complexity: a pass over the embedding and head for the statistics (two for `mvn`), then
  ///   a copy of the checkpoint (in the kernel for untouched data).
  public func execute(
    into output: SurgeryOutput, linkingUnchanged: Bool = false,
    progress: (@Sendable (Int64, Int64) -> Void)? = nil
  ) throws(SurgeryError) -> FixUntrainedReport {
    guard writesAnything else {
      return report(output: outputPath(for: output), written: false, notes: ["no untrained rows: nothing written"])
    }
    let destination = try destination(for: output, linkingUnchanged: linkingUnchanged)
    let rewrite = rowRewrite()
    let outcome = try rewrite.write(
      edited: [:], to: destination, linkingUnchanged: linkingUnchanged, progress: progress
    ) { (threads) throws(SurgeryError) -> RowRewrite.PreparedRows in
      try rewrite.prepareRows(pieces: rows.map { _ in [] }, threads: threads)
    }
    return report(
      output: destination.path, written: true, notes: outcome.notes + linkNotes(linkingUnchanged),
      ruleApplied: RowRewrite.ruleApplied(request.initialization, outcome: outcome))
  }

  func report(
    output: String, written: Bool, notes: [String], ruleApplied: InitializationRule? = nil
  ) -> FixUntrainedReport {
    var notes = notes
    if rows.isEmpty, notes.isEmpty { notes.append("no untrained rows") }
    return FixUntrainedReport(
      rows: rows, initialization: ruleApplied ?? request.initialization, resized: changedTensors, tied: roles.isTied,
      output: output, written: written, notes: notes)
  }
}

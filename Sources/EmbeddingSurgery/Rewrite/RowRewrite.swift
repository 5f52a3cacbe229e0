import FileSystem
import SafeTensors
import SystemPackage

/// The one "rewrite these rows" path shared by `resize`, `fix-untrained` and `trim`: where each
/// row of the embedding, the untied head and the head bias comes from (``RowMap``), the rule of
/// the rows written, and the writing of the new checkpoint.
///
/// The changed files are laid out by ``SharingLayout``, so that on a copy-on-write file system
/// every unchanged byte is shared with the input instead of copied; every other file of a folder
/// is cloned whole (or hard-linked, on request) or replaced by its edited text. The copy does not
/// wait for the new rows: a second thread carries out the layout's clone and copy steps while this
/// one computes the statistics (on all cores) and writes the new rows into their places, a chunk
/// at a time, so memory does not grow with the number of rows.
struct RowRewrite: Sendable {
  /// The model being rewritten.
  let model: ModelCheckpoint
  /// The tensors that change and the file holding each.
  let tensors: LocatedRoles
  var roles: TensorRoles { tensors.roles }
  /// The embedding's rows before.
  let rowsBefore: Int
  /// Where each output row comes from.
  let rowMap: RowMap
  /// What each written row is for, in output order (``RowMap/Run/written(_:)`` indexes it).
  let targets: [RowInitializer.Target]
  /// The rule of the token rows.
  let rule: InitializationRule
  /// The seed of `random` and `mvn`.
  let seed: UInt64
  /// S of `mvn`.
  let noiseScale: NoiseScale
  /// Rows left out of each matrix's statistics besides its all-zero rows.
  let excluded: Set<Int>
  /// Whether each matrix's statistics also leave out the rows ``UntrainedRows`` flags in it.
  let excludingUntrained: Bool

  /// The rows after.
  var rowsAfter: Int { rowMap.count }

  /// Whether anything changes.
  var changesRows: Bool { !targets.isEmpty || rowMap != RowMap.gathering(Array(0..<rowsBefore)) }

  /// A tensor whose rows are rewritten.
  struct RewrittenTensor: Sendable {
    /// Its header entry.
    let tensor: TensorInfo
    /// The checkpoint file holding it.
    let fileName: String
    /// Bytes per row (per entry of a bias).
    let rowBytes: Int
    /// The axis that counts rows (the last one of a `[1, rows]` bias).
    let rowAxis: Int
    /// Whether it is a head bias (its written entries are the mean entry).
    let isBias: Bool
  }

  /// The rewritten tensors: the embedding, an untied head, a head bias, in that order (the order
  /// in which their rows are made).
  func rewrittenTensors() throws(SurgeryError) -> [RewrittenTensor] {
    var result: [RewrittenTensor] = []
    for (tensor, fileName) in [(roles.embedding, tensors.embeddingFile), (roles.head, tensors.headFile ?? "")] {
      guard let tensor else { continue }
      let format = try FloatingPointFormat.of(tensor, path: model.path)
      result.append(
        RewrittenTensor(
          tensor: tensor, fileName: fileName, rowBytes: tensor.shape[1] * format.byteWidth, rowAxis: 0, isBias: false))
    }
    if let bias = roles.headBias, let fileName = tensors.headBiasFile {
      let format = try FloatingPointFormat.of(bias, path: model.path)
      result.append(
        RewrittenTensor(
          tensor: bias, fileName: fileName, rowBytes: format.byteWidth, rowAxis: bias.shape.count - 1, isBias: true))
    }
    return result
  }

  /// The checkpoint files that change.
  func changedFiles() throws(SurgeryError) -> Set<String> {
    changesRows ? Set(try rewrittenTensors().map(\.fileName)) : []
  }

  /// How many bytes the tensor data grows (negative when it shrinks).
  func dataSizeChange() throws(SurgeryError) -> Int {
    guard changesRows else { return 0 }
    return try rewrittenTensors().reduce(0) { $0 + (rowsAfter - rowsBefore) * $1.rowBytes }
  }

  /// Whether `mvn` fell back to `mean` in every matrix (the report then says `mean`).
  static func ruleApplied(_ rule: InitializationRule, outcome: Outcome) -> InitializationRule {
    rule == .mvn && outcome.matrices > 0 && outcome.mvnFallbacks == outcome.matrices ? .mean : rule
  }

  /// What writing the rows found.
  struct Outcome: Sendable {
    /// Remarks of the initializers (mvn fallbacks, noise erased by rounding).
    var notes: [String] = []
    /// The number of matrices in which `mvn` fell back to `mean`.
    var mvnFallbacks = 0
    /// The number of matrices whose rows were written.
    var matrices = 0
    /// Bytes of the changed files planned as shared with the input, copied, and new.
    var sharedBytes = 0
    var copiedBytes = 0
    var freshBytes = 0
  }

  /// The rows to write, ready to be made: a production per matrix (embedding, head) and the
  /// bias's mean entry.
  struct PreparedRows {
    var productions: [RowProduction] = []
    var biasEntry: [UInt8]?
  }

  /// Computes the statistics behind the written rows (on `threads` threads) and prepares their
  /// production.
  ///
  /// - Parameter pieces: for `nearest`, the usable piece ids of each token target.
  func prepareRows(pieces: [[Int]], threads: Int = ParallelWork.defaultThreadCount) throws(SurgeryError)
    -> PreparedRows
  {
    var prepared = PreparedRows()
    guard !targets.isEmpty else { return prepared }
    for rewritten in try rewrittenTensors() {
      let file = try model.safeTensorsFile(named: rewritten.fileName)
      if rewritten.isBias {
        prepared.biasEntry = try BiasInitializer(tensor: rewritten.tensor, file: file).meanEntry()
        continue
      }
      let initializer = try RowInitializer(tensor: rewritten.tensor, file: file)
      var excluded = self.excluded
      if excludingUntrained { excluded.formUnion(UntrainedRows.find(in: initializer.matrix).keys) }
      prepared.productions.append(
        initializer.prepare(
          targets, rule: rule, pieces: pieces, excluding: excluded, noiseScale: noiseScale, threads: threads))
    }
    return prepared
  }
}

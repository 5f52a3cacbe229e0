import FileSystem
import SafeTensors
import SystemPackage

/// The engine of ``RowRewritingPlan``: the rewritten tensors of a plan, where each of their
/// output rows comes from (``RowMap``), and the writing of the new checkpoint
/// (``write(_:edited:to:linkingUnchanged:progress:)``).
///
/// The changed files are laid out by ``SharingLayout``, so that on a copy-on-write file system
/// every unchanged byte is shared with the input instead of copied; every other file of a folder
/// is cloned whole (or hard-linked, on request) or replaced by its edited text. The copy does not
/// wait for the new rows: a second thread carries out the layout's clone and copy steps while this
/// one prepares the row source (on all cores) and writes the new rows into their places, a chunk
/// at a time, so memory does not grow with the number of rows.
struct RowRewrite: Sendable {
  /// The model being rewritten.
  let model: ModelCheckpoint
  /// Where each output row comes from.
  let rowMap: RowMap
  /// Files of the model's folder left out of the output (relative to its root).
  let removedFiles: Set<String>
  /// The embedding's rows before.
  let rowsBefore: Int
  /// The rewritten tensors: the embedding, an untied head, a head bias, in that order (the order
  /// in which their rows are made); none when the map keeps every row as it is.
  let tensors: [RewrittenTensor]

  /// The rewrite of `plan`.
  ///
  /// - Throws: ``SurgeryError`` when a rewritten tensor has no floating-point format.
  init<Plan: RowRewritingPlan>(_ plan: Plan) throws(SurgeryError) {
    model = plan.model
    rowMap = plan.rowMap
    removedFiles = Set(plan.removedFiles)
    let roles = plan.roles
    rowsBefore = roles.embedding.shape[0]
    guard !rowMap.isIdentity(rows: rowsBefore) else {
      tensors = []
      return
    }
    var tensors: [RewrittenTensor] = []
    for (tensor, isBias) in [(roles.embedding, false), (roles.head, false), (roles.headBias, true)] {
      guard let tensor else { continue }
      let fileName: String
      do {
        guard let name = try model.checkpoint.location(of: tensor.name) else { continue }
        fileName = name
      } catch {
        throw .safeTensors(error)
      }
      tensors.append(
        try RewrittenTensor(
          tensor, named: fileName, in: try model.safeTensorsFile(named: fileName), isBias: isBias,
          modelPath: model.path))
    }
    self.tensors = tensors
  }

  /// The output rows.
  var rowsAfter: Int { rowMap.count }

  /// The checkpoint files that change.
  var changedFiles: Set<String> { Set(tensors.map(\.fileName)) }

  /// How many bytes the tensor data grows (negative when it shrinks).
  var dataSizeChange: Int {
    tensors.reduce(0) { $0 + (rowsAfter - rowsBefore) * $1.rowBytes }
  }

  /// `edited` (a plan's edited files), with the shard index's total size updated when the data
  /// size changes.
  func shardIndexEdit(_ edited: [FilePath: [UInt8]]) throws(SurgeryError) -> [String: [UInt8]] {
    var result: [String: [UInt8]] = [:]
    for (path, bytes) in edited { result[path.string] = bytes }
    let change = dataSizeChange
    let indexPath = model.folder.appending(ShardIndex.fileName)
    guard model.checkpoint.index != nil, change != 0, indexPath.exists else { return result }
    let total: Int
    do {
      total = try model.checkpoint.tensors().reduce(0) { $0 + $1.info.byteCount } + change
    } catch {
      throw .safeTensors(error)
    }
    let bytes = try fileSystem { () throws(FileSystemError) in try indexPath.readAll() }
    result[model.relativePath(of: ShardIndex.fileName)] = try ModelFileEdits.setTotalSize(
      total, inIndex: bytes, path: indexPath)
    return result
  }
}

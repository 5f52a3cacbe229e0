import SafeTensors

/// The one "write these rows" path shared by `resize` and `fix-untrained`: which rows of the
/// embedding, the untied head and the head bias are (re)written and by which rule, and the copy
/// of the checkpoint with those tensors replaced (untouched data copied in the kernel, every other
/// file of a folder copied byte for byte or replaced by its edited text).
struct RowRewrite {
  /// The model being rewritten.
  let model: ModelCheckpoint
  /// The tensors that change and the file holding each.
  let tensors: LocatedRoles
  var roles: TensorRoles { tensors.roles }
  /// Rows before and after (equal when no row is appended).
  let rowsBefore: Int
  let rowsAfter: Int
  /// The rows written, ascending, and what each is for.
  let rows: [(id: Int, target: RowInitializer.Target)]
  /// The rule of the token rows.
  let rule: InitializationRule
  /// For `nearest`: the usable piece ids of each token target.
  let pieces: [[Int]]
  /// The seed of `random` and `mvn`.
  let seed: UInt64
  /// S of `mvn`.
  let noiseScale: Double
  /// Rows left out of each matrix's statistics besides its all-zero rows.
  let excluded: Set<Int>
  /// Whether each matrix's statistics also leave out the rows ``UntrainedRows`` flags in it.
  let excludingUntrained: Bool

  /// Whether `mvn` fell back to `mean` in every matrix (the report then says `mean`).
  static func ruleApplied(_ rule: InitializationRule, changes: Changes) -> InitializationRule {
    rule == .mvn && changes.matrices > 0 && changes.mvnFallbacks == changes.matrices ? .mean : rule
  }

  /// The new data of every changed tensor, keyed by name.
  struct Changes {
    var tensors: [TensorName: TensorToWrite] = [:]
    var addedBytes = 0
    var files: Set<String> = []
    /// Remarks of the initializers (mvn fallbacks, noise erased by rounding).
    var notes: [String] = []
    /// The number of matrices in which `mvn` fell back to `mean`.
    var mvnFallbacks = 0
    /// The number of matrices whose rows were written.
    var matrices = 0
  }

  func openFile(_ name: String) throws(SurgeryError) -> SafeTensorsFile {
    try model.safeTensorsFile(named: name)
  }

  /// Computes the new rows of every changed tensor (statistics over the rows kept).
  func computeChanges() throws(SurgeryError) -> Changes {
    var changes = Changes()
    guard !rows.isEmpty || rowsAfter != rowsBefore else { return changes }
    let targetIDs = rows.map(\.id)
    let targets = rows.map(\.target)
    var generator = SeededGenerator(seed: seed)
    for (tensor, fileName) in [(roles.embedding, tensors.embeddingFile), (roles.head, tensors.headFile ?? "")] {
      guard let tensor else { continue }
      let file = try openFile(fileName)
      let initializer = try RowInitializer(tensor: tensor, file: file)
      var excluded = self.excluded
      if excludingUntrained {
        excluded.formUnion(try UntrainedRows.find(in: tensor, file: file).keys)
      }
      let (newRows, notes, fellBack) = initializer.rows(
        for: targets, rule: rule, pieces: pieces, generator: &generator, excluding: excluded,
        noiseScale: noiseScale)
      changes.notes += notes
      changes.matrices += 1
      if fellBack { changes.mvnFallbacks += 1 }
      let segments = RowRewrite.segments(
        of: tensor, in: file, elementBytes: initializer.rowBytes, rowsBefore: rowsBefore,
        replacements: zip(targetIDs, newRows).map { ($0, $1) })
      var shape = tensor.shape
      shape[0] = rowsAfter
      changes.tensors[tensor.name] = TensorToWrite(
        name: tensor.name, dtype: tensor.dtype, shape: shape, segments: segments)
      changes.addedBytes += (rowsAfter - rowsBefore) * initializer.rowBytes
      changes.files.insert(fileName)
    }
    if let bias = roles.headBias, let fileName = tensors.headBiasFile {
      let file = try openFile(fileName)
      let initializer = try BiasInitializer(tensor: bias, file: file)
      let entry = initializer.meanEntry()
      let segments = RowRewrite.segments(
        of: bias, in: file, elementBytes: initializer.format.byteWidth, rowsBefore: rowsBefore,
        replacements: targetIDs.map { ($0, entry) })
      var shape = bias.shape
      shape[shape.count - 1] = rowsAfter
      changes.tensors[bias.name] = TensorToWrite(
        name: bias.name, dtype: bias.dtype, shape: shape, segments: segments)
      changes.addedBytes += (rowsAfter - rowsBefore) * initializer.format.byteWidth
      changes.files.insert(fileName)
    }
    return changes
  }

  /// Writes the result at a temporary path beside `destination` and moves it into place; on any
  /// error nothing is left at the output path.
  ///
  /// - Parameter edited: the new text of files of a folder, keyed by path relative to the folder.
  func write(
    _ changes: Changes, edited: [String: [UInt8]], to destination: OutputDestination,
    progress: (@Sendable (Int64, Int64) -> Void)?
  ) throws(SurgeryError) {
    do {
      if model.isFolder {
        try FileAccess.makeDirectory(destination.temporaryPath)
        try copyTree(
          from: model.path, to: destination.temporaryPath, relative: "", changes: changes, edited: edited,
          progress: progress)
      } else {
        let file = try openFile(tensors.embeddingFile)
        try write(file: file, changes: changes, to: destination.temporaryPath, progress: progress)
      }
      try destination.commit(isFolder: model.isFolder)
    } catch {
      destination.discard()
      throw error
    }
  }

  /// The segments of a tensor whose rows `replacements` (ascending ids) are replaced or
  /// appended: untouched runs of original rows stay references into the mapped file.
  static func segments(
    of tensor: TensorInfo, in file: SafeTensorsFile, elementBytes: Int, rowsBefore: Int,
    replacements: [(Int, [UInt8])]
  ) -> [TensorData] {
    let base = file.absoluteRange(of: tensor).lowerBound
    var segments: [TensorData] = []
    var pending: [UInt8] = []
    var cursor = 0
    func flushOriginal(upTo row: Int) {
      guard row > cursor else { return }
      if !pending.isEmpty {
        segments.append(.bytes(pending))
        pending = []
      }
      segments.append(.file(file, (base + cursor * elementBytes)..<(base + row * elementBytes)))
      cursor = row
    }
    for (id, bytes) in replacements {
      if id < rowsBefore {
        flushOriginal(upTo: id)
        cursor = id + 1
      } else {
        flushOriginal(upTo: rowsBefore)
        cursor = max(cursor, id + 1)
      }
      pending.append(contentsOf: bytes)
    }
    flushOriginal(upTo: rowsBefore)
    if !pending.isEmpty { segments.append(.bytes(pending)) }
    return segments
  }

  /// Writes one safetensors file with the changed tensors replaced.
  func write(
    file: SafeTensorsFile, changes: Changes, to path: String,
    progress: (@Sendable (Int64, Int64) -> Void)?
  ) throws(SurgeryError) {
    let tensors = file.header.tensors.map { info in
      changes.tensors[info.name] ?? TensorToWrite.copy(of: info, in: file)
    }
    do {
      try SafeTensorsWriter.write(
        tensors, metadata: file.header.metadata, to: path, atomically: false, progress: progress)
    } catch {
      throw .safeTensors(error)
    }
  }

  /// Writes every file of the input folder into `destination`: changed shards rewritten, edited
  /// files replaced, everything else copied byte for byte.
  private func copyTree(
    from source: String, to destination: String, relative: String, changes: Changes,
    edited: [String: [UInt8]], progress: (@Sendable (Int64, Int64) -> Void)?
  ) throws(SurgeryError) {
    for name in try FileAccess.contents(of: source) {
      let sourcePath = source + "/" + name
      let destinationPath = destination + "/" + name
      let relativeName = relative.isEmpty ? name : relative + "/" + name
      if FileAccess.isDirectory(sourcePath) {
        try FileAccess.makeDirectory(destinationPath)
        try copyTree(
          from: sourcePath, to: destinationPath, relative: relativeName, changes: changes,
          edited: edited, progress: progress)
      } else if let bytes = edited[relativeName] {
        try FileAccess.writeNew(destinationPath, bytes)
      } else if relative.isEmpty, changes.files.contains(name) {
        try write(file: try openFile(name), changes: changes, to: destinationPath, progress: progress)
      } else {
        try FileAccess.copyFile(from: sourcePath, to: destinationPath)
      }
    }
  }
}

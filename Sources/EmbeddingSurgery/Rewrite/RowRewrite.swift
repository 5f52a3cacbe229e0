import FileSystem
import SafeTensors
import SystemPackage

/// The one "write these rows" path shared by `resize` and `fix-untrained`: which rows of the
/// embedding, the untied head and the head bias are (re)written and by which rule, and the copy
/// of the checkpoint with those tensors replaced (untouched data copied in the kernel, every other
/// file of a folder copied byte for byte or replaced by its edited text).
///
/// The copy does not wait for the new rows: it is written on a second thread with those rows
/// zero (``layout()``) while the statistics and initializers run (``computeRows()``); the rows
/// are then written into place (``RowPatch``) before the result is moved to the output path.
struct RowRewrite: Sendable {
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
  let noiseScale: NoiseScale
  /// Rows left out of each matrix's statistics besides its all-zero rows.
  let excluded: Set<Int>
  /// Whether each matrix's statistics also leave out the rows ``UntrainedRows`` flags in it.
  let excludingUntrained: Bool

  /// Whether `mvn` fell back to `mean` in every matrix (the report then says `mean`).
  static func ruleApplied(_ rule: InitializationRule, computed: ComputedRows) -> InitializationRule {
    rule == .mvn && computed.matrices > 0 && computed.mvnFallbacks == computed.matrices ? .mean : rule
  }

  /// The changed tensors with their written rows left zero: shapes, sizes and untouched segments
  /// are final. This is what the output is first written with.
  struct Changes: Sendable {
    var tensors: [TensorName: TensorToWrite] = [:]
    var addedBytes = 0
    var files: Set<String> = []
  }

  /// The computed rows of every changed tensor, and what the initializers had to say.
  struct ComputedRows {
    var patches: [RowPatch] = []
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

  /// The matrices whose rows are written: the embedding and an untied head, with their files.
  private var matrices: [(tensor: TensorInfo, fileName: String)] {
    [(roles.embedding, tensors.embeddingFile), (roles.head, tensors.headFile ?? "")].compactMap { entry in
      entry.0.map { ($0, entry.1) }
    }
  }

  /// The layout of the output: every changed tensor at its final shape, written rows zero.
  func layout() throws(SurgeryError) -> Changes {
    var changes = Changes()
    guard !rows.isEmpty || rowsAfter != rowsBefore else { return changes }
    let targetIDs = rows.map(\.id)
    for (tensor, fileName) in matrices {
      let file = try openFile(fileName)
      let rowBytes = try RowInitializer(tensor: tensor, file: file).rowBytes
      add(tensor, in: file, named: fileName, elementBytes: rowBytes, rowAxis: 0, targetIDs: targetIDs, to: &changes)
    }
    if let bias = roles.headBias, let fileName = tensors.headBiasFile {
      let file = try openFile(fileName)
      let width = try BiasInitializer(tensor: bias, file: file).format.byteWidth
      add(
        bias, in: file, named: fileName, elementBytes: width, rowAxis: bias.shape.count - 1, targetIDs: targetIDs,
        to: &changes)
    }
    return changes
  }

  private func add(
    _ tensor: TensorInfo, in file: SafeTensorsFile, named fileName: String, elementBytes: Int,
    rowAxis: Int, targetIDs: [Int], to changes: inout Changes
  ) {
    let zero = [UInt8](repeating: 0, count: elementBytes)
    let segments = RowRewrite.segments(
      of: tensor, in: file, elementBytes: elementBytes, rowsBefore: rowsBefore,
      replacements: targetIDs.map { ($0, zero) })
    var shape = tensor.shape
    shape[rowAxis] = rowsAfter
    changes.tensors[tensor.name] = TensorToWrite(
      name: tensor.name, dtype: tensor.dtype, shape: shape, segments: segments)
    changes.addedBytes += (rowsAfter - rowsBefore) * elementBytes
    changes.files.insert(fileName)
  }

  /// Computes the new rows of every changed tensor (statistics over the rows kept).
  func computeRows() throws(SurgeryError) -> ComputedRows {
    var computed = ComputedRows()
    guard !rows.isEmpty else { return computed }
    let targetIDs = rows.map(\.id)
    let targets = rows.map(\.target)
    var generator = SeededGenerator(seed: seed)
    for (tensor, fileName) in matrices {
      let file = try openFile(fileName)
      let initializer = try RowInitializer(tensor: tensor, file: file)
      var excluded = self.excluded
      if excludingUntrained {
        excluded.formUnion(try UntrainedRows.find(in: tensor, file: file).keys)
      }
      let (newRows, notes, fellBack) = initializer.rows(
        for: targets, rule: rule, pieces: pieces, generator: &generator, excluding: excluded,
        noiseScale: noiseScale)
      computed.notes += notes
      computed.matrices += 1
      if fellBack { computed.mvnFallbacks += 1 }
      computed.patches.append(
        RowPatch(
          fileName: fileName, tensor: tensor.name, elementBytes: initializer.rowBytes,
          rows: Array(zip(targetIDs, newRows))))
    }
    if let bias = roles.headBias, let fileName = tensors.headBiasFile {
      let file = try openFile(fileName)
      let initializer = try BiasInitializer(tensor: bias, file: file)
      let entry = initializer.meanEntry()
      computed.patches.append(
        RowPatch(
          fileName: fileName, tensor: bias.name, elementBytes: initializer.format.byteWidth,
          rows: targetIDs.map { ($0, entry) }))
    }
    return computed
  }

  /// Writes the result at a temporary path beside `destination` and moves it into place; on any
  /// error nothing is left at the output path.
  ///
  /// The layout is copied on a second thread while `computeRows` runs on this one (it may load a
  /// tokenizer and reduce the matrices); its patches are written into place once both are done.
  ///
  /// - Parameter edited: the new text of files of a folder, keyed by path relative to the folder.
  func write(
    _ layout: Changes, edited: [String: [UInt8]], to destination: OutputDestination,
    progress: (@Sendable (Int64, Int64) -> Void)?,
    computeRows: () throws(SurgeryError) -> [RowPatch]
  ) throws(SurgeryError) {
    // A signal now removes the temporary output (see ``TemporaryOutputs``).
    destination.register()
    do {
      let copy = BackgroundWork.start { () throws(SurgeryError) in
        if model.isFolder {
          try fileSystem { () throws(FileSystemError) in try destination.temporary.path.makeFolder() }
          try copyTree(
            from: model.path, to: destination.temporaryPath, relative: "", changes: layout, edited: edited,
            progress: progress)
        } else {
          let file = try openFile(tensors.embeddingFile)
          try write(file: file, changes: layout, to: destination.temporaryPath, progress: progress)
        }
      }
      let patches = Result { () throws(SurgeryError) in try computeRows() }
      try copy.wait()
      for patch in try patches.get() {
        let path = model.isFolder ? destination.temporaryPath + "/" + patch.fileName : destination.temporaryPath
        try patch.apply(toOutput: path)
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
    let sourceFolder = FilePath(source)
    let destinationFolder = FilePath(destination)
    for name in try fileSystem({ () throws(FileSystemError) in try sourceFolder.folderEntries() }) {
      let sourcePath = sourceFolder.appending(name)
      let destinationPath = destinationFolder.appending(name)
      let relativeName = relative.isEmpty ? name : relative + "/" + name
      if sourcePath.isFolder {
        try fileSystem { () throws(FileSystemError) in try destinationPath.makeFolder() }
        try copyTree(
          from: sourcePath.string, to: destinationPath.string, relative: relativeName, changes: changes,
          edited: edited, progress: progress)
      } else if let bytes = edited[relativeName] {
        try fileSystem { () throws(FileSystemError) in try destinationPath.writeNewFile(bytes) }
      } else if relative.isEmpty, changes.files.contains(name) {
        try write(file: try openFile(name), changes: changes, to: destinationPath.string, progress: progress)
      } else {
        try fileSystem { () throws(FileSystemError) in try sourcePath.copyFile(to: destinationPath) }
      }
    }
  }
}

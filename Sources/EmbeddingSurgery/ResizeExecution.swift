import SafeTensors
import Tokenization

extension ResizePlan {
  /// The report of the plan without writing anything (`--dry-run`).
  public func dryRunReport(output: ResizeOutput) throws(SurgeryError) -> ResizeReport {
    let pieces = try nearestPieces()
    return report(output: outputPath(output), pieces: pieces)
  }

  /// Carries out the plan: writes the resized checkpoint (and, for a folder, every other file,
  /// the tokenizer and config files updated) to a temporary path beside the output, then moves
  /// it into place. On any error nothing is left at the output path and the input is untouched.
  ///
  /// - Parameter progress: called with (bytes done, bytes in all) from time to time.
  /// - Returns: the report.
  /// - Complexity: one pass over the embedding and head for the statistics, then a copy of the
  ///   checkpoint (in the kernel for untouched data); memory grows with the new rows only.
  public func execute(
    into output: ResizeOutput, progress: (@Sendable (Int64, Int64) -> Void)? = nil
  ) throws(SurgeryError) -> ResizeReport {
    let destination = try OutputDestination(
      output, inputPath: model.path, inputIsFolder: model.isFolder, defaultPath: defaultOutputPath)
    let pieces = try nearestPieces()
    let changes = try computeChanges(pieces: pieces)
    destination.register()
    do {
      if model.isFolder {
        try FileAccess.makeDirectory(destination.temporaryPath)
        try writeFolder(changes: changes, into: destination.temporaryPath, progress: progress)
      } else {
        let file = try openFile(embeddingFile)
        try write(file: file, changes: changes, to: destination.temporaryPath, progress: progress)
      }
      try destination.commit(isFolder: model.isFolder)
    } catch {
      destination.discard()
      throw error
    }
    return report(output: destination.path, pieces: pieces)
  }

  func outputPath(_ output: ResizeOutput) -> String {
    switch output {
    case .inPlace: model.path
    case .path(let path, _): path
    }
  }

  /// For `nearest`: the piece ids of each added token, split by the original tokenizer.
  func nearestPieces() throws(SurgeryError) -> [[Int]]? {
    guard request.initialization == .nearest, !added.isEmpty else { return nil }
    guard let tokenizer = try model.makeTokenizer() else { return nil }
    var pieces: [[Int]] = []
    for token in added {
      do {
        pieces.append(try tokenizer.encode(token.token).ids)
      } catch {
        throw .tokenization(error)
      }
    }
    return pieces
  }

  func report(output: String, pieces: [[Int]]?) -> ResizeReport {
    var notes: [String] = []
    let addedTokens = added.enumerated().map { index, token in
      let tokenPieces = pieces?[index] ?? []
      var rule = request.initialization
      if rule == .nearest, usablePieces(tokenPieces).isEmpty {
        rule = .mean
        notes.append("'\(token.token)' has no usable pieces: its rows are the mean row")
      }
      return ResizeReport.AddedToken(token: token.token, id: token.id, initialization: rule, pieces: tokenPieces)
    }
    if !model.isFolder, model.tokenizerPath != nil {
      notes.append("the tokenizer files were left unchanged (only the safetensors file is written)")
    }
    if !reusedRows.isEmpty {
      notes.append("\(reusedRows.count) existing rows past the tokenizer's vocabulary were re-initialized")
    }
    if !paddingRows.isEmpty {
      notes.append("\(paddingRows.count) padding rows were added with the mean row")
    }
    let changed = rowsAfter != rowsBefore || !added.isEmpty
    return ResizeReport(
      added: addedTokens, skipped: skipped, rowsBefore: rowsBefore, rowsAfter: rowsAfter,
      resized: changed ? changedTensors : [], tied: roles.isTied, output: output, notes: notes)
  }

  func usablePieces(_ pieces: [Int]) -> [Int] {
    pieces.filter { $0 >= 0 && $0 < rowsBefore }
  }

  /// The new data of every changed tensor, keyed by name.
  struct Changes {
    var tensors: [TensorName: TensorToWrite] = [:]
    var addedBytes = 0
    var files: Set<String> = []
  }

  func openFile(_ name: String) throws(SurgeryError) -> SafeTensorsFile {
    do {
      return try model.checkpoint.file(named: name)
    } catch {
      throw .safeTensors(error)
    }
  }

  func computeChanges(pieces: [[Int]]?) throws(SurgeryError) -> Changes {
    var changes = Changes()
    let targetIDs = (added.map(\.id) + paddingRows).sorted()
    let indexByID = Dictionary(uniqueKeysWithValues: added.enumerated().map { ($1.id, $0) })
    let targets = targetIDs.map { id -> RowInitializer.Target in
      indexByID[id].map { .token($0) } ?? .padding
    }
    let usable = (pieces ?? added.map { _ in [] }).map(usablePieces)
    guard !targetIDs.isEmpty else { return changes }
    var generator = SeededGenerator(seed: request.seed)
    for (tensor, fileName) in [(roles.embedding, embeddingFile), (roles.head, headFile ?? "")] {
      guard let tensor else { continue }
      let file = try openFile(fileName)
      let initializer = try RowInitializer(tensor: tensor, file: file)
      let rows = initializer.rows(
        for: targets, rule: request.initialization, pieces: usable, generator: &generator)
      let segments = ResizePlan.segments(
        of: tensor, in: file, elementBytes: initializer.rowBytes, rowsBefore: rowsBefore,
        replacements: zip(targetIDs, rows).map { ($0, $1) })
      var shape = tensor.shape
      shape[0] = rowsAfter
      changes.tensors[tensor.name] = TensorToWrite(
        name: tensor.name, dtype: tensor.dtype, shape: shape, segments: segments)
      changes.addedBytes += (rowsAfter - rowsBefore) * initializer.rowBytes
      changes.files.insert(fileName)
    }
    if let bias = roles.headBias, let fileName = headBiasFile {
      let file = try openFile(fileName)
      let initializer = try BiasInitializer(tensor: bias, file: file)
      let entry = initializer.meanEntry()
      let segments = ResizePlan.segments(
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

  /// Writes every file of the input folder into `folder`: changed shards rewritten, the tokenizer,
  /// config and index files updated, everything else copied byte for byte.
  func writeFolder(
    changes: Changes, into folder: String, progress: (@Sendable (Int64, Int64) -> Void)?
  ) throws(SurgeryError) {
    let edited = try editedFiles(changes: changes)
    try copyTree(from: model.path, to: folder, relative: "", changes: changes, edited: edited, progress: progress)
  }

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

  /// The new contents of the folder's JSON files, keyed by file name.
  func editedFiles(changes: Changes) throws(SurgeryError) -> [String: [UInt8]] {
    var edited: [String: [UInt8]] = [:]
    let folder = model.path
    let records = added.map { RecordedToken(id: $0.id, content: $0.token, special: request.special) }
    if !records.isEmpty, let tokenizerPath = model.tokenizerPath,
      tokenizerPath == folder + "/tokenizer.json", let bytes = model.tokenizerBytes
    {
      edited["tokenizer.json"] = try ModelFileEdits.addTokens(
        records, toTokenizerJSON: bytes, path: tokenizerPath)
    }
    let configPath = folder + "/tokenizer_config.json"
    if !records.isEmpty, FileAccess.exists(configPath) {
      edited["tokenizer_config.json"] = try ModelFileEdits.addTokens(
        records, toTokenizerConfig: try FileAccess.readAll(configPath), listAsSpecial: request.special,
        path: configPath)
    }
    let mapPath = folder + "/special_tokens_map.json"
    if !records.isEmpty, request.special, FileAccess.exists(mapPath) {
      edited["special_tokens_map.json"] = try ModelFileEdits.addTokens(
        records, toSpecialTokensMap: try FileAccess.readAll(mapPath), path: mapPath)
    }
    if rowsAfter != rowsBefore || model.configVocabularySize != rowsAfter, let configPath = model.configPath {
      edited["config.json"] = try ModelFileEdits.setVocabularySize(
        rowsAfter, inConfig: try FileAccess.readAll(configPath), path: configPath)
    }
    if model.checkpoint.index != nil {
      let indexPath = folder + "/model.safetensors.index.json"
      let total: Int
      do {
        total = try model.checkpoint.tensors().reduce(0) { $0 + $1.info.byteCount } + changes.addedBytes
      } catch {
        throw .safeTensors(error)
      }
      edited["model.safetensors.index.json"] = try ModelFileEdits.setTotalSize(
        total, inIndex: try FileAccess.readAll(indexPath), path: indexPath)
    }
    return edited
  }
}

import FileSystem
import SafeTensors
import SystemPackage
import Tokenization

extension ResizePlan {
  /// Every row kept in place; the added tokens' rows (reserved slots included) and the padding
  /// rows written (appended, or over rows past the tokenizer's vocabulary).
  public var rowMap: RowMap {
    .rewriting(rows: rowsBefore, writtenIDs: writtenIDs, rowsAfter: rowsAfter)
  }

  /// The written rows, by the request's initialization rule: the added tokens' rows, and the
  /// padding rows (the mean row). The statistics leave out the reserved slots and the untrained
  /// rows when reusing reserved slots.
  public var rowSource: InitializedRows {
    let indexByID = Dictionary(uniqueKeysWithValues: added.enumerated().map { ($1.token.id, $0) })
    return InitializedRows(
      model: model, targets: writtenIDs.map { indexByID[$0].map { .token($0) } ?? .padding },
      tokenTexts: added.map(\.token.text), rule: request.initialization, seed: request.seed,
      noiseScale: request.noiseScale, excluded: request.reuseReserved ? Set(reservedSlotIDs) : [],
      excludingUntrained: request.reuseReserved)
  }

  /// The ids of the rows written, ascending: the added tokens' and the padding rows.
  var writtenIDs: [Int] { (added.map(\.token.id) + paddingRows).sorted() }

  /// The report: the added tokens with the rule that initialized each and their pieces, the
  /// skipped ones, and the notes.
  public func report(output: FilePath, run: RewriteRun<InitializedRows.Outcome>) throws(SurgeryError)
    -> ResizeReport
  {
    guard let outcome = run.outcome else {
      var report = report(output: output.string, pieces: try rowSource.nearestPieces())
      report.written = false
      return report
    }
    return report(
      output: output.string, pieces: outcome.pieces, initializerNotes: outcome.notes + run.notes,
      ruleApplied: outcome.ruleApplied)
  }

  func report(
    output: String, pieces: [[Int]]?, initializerNotes: [String] = [], ruleApplied: InitializationRule? = nil
  ) -> ResizeReport {
    var notes: [String] = initializerNotes
    let addedTokens = added.enumerated().map { index, token in
      let tokenPieces = pieces?[index] ?? []
      var rule = ruleApplied ?? request.initialization
      if rule == .nearest, usablePieces(tokenPieces).isEmpty {
        rule = .mean
        notes.append("'\(token.token.text)' has no usable pieces: its rows are the mean row")
      }
      return ResizeReport.InitializedToken(
        token: token.token, initialization: rule, pieces: tokenPieces, slot: token.slot?.token.text)
    }
    if let reservedSlots {
      let taken = added.filter { $0.slot != nil }.count
      notes.append(
        "\(taken) token\(taken == 1 ? "" : "s") took reserved slots (\(reservedSlots.available.count) were free)")
      if !reservedSlots.referenced.isEmpty {
        let names = reservedSlots.referenced.map(\.token.description).joined(separator: ", ")
        notes.append("reserved slots referenced by special-token keys or config ids were left alone: \(names)")
      }
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
    return ResizeReport(
      added: addedTokens, skipped: skipped, rowsBefore: rowsBefore, rowsAfter: rowsAfter,
      resized: changedTensors, tied: roles.isTied, output: output, notes: notes)
  }

  func usablePieces(_ pieces: [Int]) -> [Int] {
    pieces.filter { $0 >= 0 && $0 < rowsBefore }
  }

  /// The new contents of the folder's tokenizer files and config.json, keyed by path relative to
  /// the model's root.
  public func editedFiles() throws(SurgeryError) -> [FilePath: [UInt8]] {
    var edited: [String: [UInt8]] = [:]
    let folder = model.folder
    let records = added.map { AddedToken(newToken: $0.token, special: request.special) }
    let renames = added.compactMap { token in
      token.slot.map { SlotRename(slot: $0, replacement: AddedToken(newToken: token.token, special: request.special)) }
    }
    let appended = added.filter { $0.slot == nil }.map { AddedToken(newToken: $0.token, special: request.special) }
    if !records.isEmpty, model.ownsTokenizerJSON, let tokenizerPath = model.tokenizerPath,
      let bytes = model.tokenizerBytes
    {
      if renames.isEmpty {
        edited[model.relativePath(of: "tokenizer.json")] = try ModelFileEdits.addTokens(
          records, toTokenizerJSON: bytes, parsed: model.tokenizerJSON, path: tokenizerPath)
      } else {
        let renamed = try ModelFileEdits.renameSlots(
          renames, inTokenizerJSON: bytes, parsed: model.tokenizerJSON, path: tokenizerPath)
        let entries = (renamed.needingEntries + appended).sorted { $0.id < $1.id }
        edited[model.relativePath(of: "tokenizer.json")] =
          entries.isEmpty
          ? renamed.bytes
          : try ModelFileEdits.addTokens(entries, toTokenizerJSON: renamed.bytes, path: tokenizerPath)
      }
    }
    let configPath = folder.appending("tokenizer_config.json")
    if !records.isEmpty, configPath.exists {
      if renames.isEmpty {
        edited[model.relativePath(of: "tokenizer_config.json")] = try ModelFileEdits.addTokens(
          records, toTokenizerConfig: try readAll(configPath), listAsSpecial: request.special,
          path: configPath)
      } else {
        let renamed = try ModelFileEdits.renameSlots(
          renames, inTokenizerConfig: try readAll(configPath), path: configPath)
        let entries = (renamed.needingEntries + appended).sorted { $0.id < $1.id }
        var bytes = try ModelFileEdits.addTokens(
          entries, toTokenizerConfig: renamed.bytes, listAsSpecial: false, path: configPath)
        if request.special {
          bytes = try ModelFileEdits.listSpecialTokens(records, inTokenizerConfig: bytes, path: configPath)
        }
        edited[model.relativePath(of: "tokenizer_config.json")] = bytes
      }
    }
    let vocabularyPath = folder.appending("vocab.txt")
    if renames.contains(where: \.slot.isInModelVocabulary), vocabularyPath.exists,
      let bytes = ModelFileEdits.renameSlots(renames, inVocabularyText: try readAll(vocabularyPath))
    {
      edited[model.relativePath(of: "vocab.txt")] = bytes
    }
    let mapPath = folder.appending("special_tokens_map.json")
    if !records.isEmpty, request.special, mapPath.exists {
      edited[model.relativePath(of: "special_tokens_map.json")] = try ModelFileEdits.addTokens(
        records, toSpecialTokensMap: try readAll(mapPath), path: mapPath)
    }
    if rowsAfter != rowsBefore || model.config?.vocabularySize != rowsAfter, let configPath = model.config?.path {
      edited[model.relativePath(of: "config.json")] = try ModelFileEdits.setVocabularySize(
        rowsAfter, inConfig: try readAll(configPath), path: configPath)
    }
    return Dictionary(uniqueKeysWithValues: edited.map { (FilePath($0.key), $0.value) })
  }
}

/// The bytes of the file at `path`.
private func readAll(_ path: FilePath) throws(SurgeryError) -> [UInt8] {
  try fileSystem { () throws(FileSystemError) in try path.readAll() }
}

import FileSystem
import SafeTensors
import SystemPackage
import Tokenization

extension ResizePlan {
  /// A resize always writes its output (with nothing to add, a copy of the input).
  public var writesAnything: Bool { true }

  /// The report of the plan without writing anything (`--dry-run`).
  public func dryRunReport(output: SurgeryOutput) throws(SurgeryError) -> ResizeReport {
    let pieces = try nearestPieces()
    var report = report(output: outputPath(for: output), pieces: pieces)
    report.written = false
    return report
  }

  /// Carries out the plan: writes the resized checkpoint (and, for a folder, every other file,
  /// the tokenizer and config files updated) to a temporary path beside the output, then moves
  /// it into place. On any error nothing is left at the output path and the input is untouched.
  ///
  /// The copy does not wait for the new rows: a second thread writes the output with the new
  /// rows left zero (untouched data copied in the kernel) while this one loads the tokenizer and
  /// computes the rows; the rows are then written into place, before the output is committed.
  ///
  /// - Parameter progress: called with (bytes done, bytes in all) from time to time, from the
  ///   writing thread.
  /// - Returns: the report.
  /// - Complexity: one pass over the embedding and head for the statistics, alongside a copy of
  ///   the checkpoint (in the kernel for untouched data); memory grows with the new rows only.
  public func execute(
    into output: SurgeryOutput, linkingUnchanged: Bool = false,
    progress: (@Sendable (Int64, Int64) -> Void)? = nil
  ) throws(SurgeryError) -> ResizeReport {
    let destination = try destination(for: output, linkingUnchanged: linkingUnchanged)
    let rewrite = rowRewrite()
    // The layout does not depend on the pieces: the copy starts before the tokenizer is loaded.
    let edited = model.isFolder ? try editedFiles(dataSizeChange: try rewrite.dataSizeChange()) : [:]
    var pieces: [[Int]]?
    let outcome = try rewrite.write(
      edited: edited, to: destination, linkingUnchanged: linkingUnchanged, progress: progress
    ) { (threads) throws(SurgeryError) -> RowRewrite.PreparedRows in
      pieces = try nearestPieces()
      return try rewrite.prepareRows(pieces: (pieces ?? added.map { _ in [] }).map(usablePieces), threads: threads)
    }
    return report(
      output: destination.path, pieces: pieces, initializerNotes: outcome.notes + linkNotes(linkingUnchanged),
      ruleApplied: RowRewrite.ruleApplied(request.initialization, outcome: outcome))
  }

  /// The rows this plan writes: the added tokens' rows (reserved slots included) and padding rows.
  func rowRewrite() -> RowRewrite {
    let targetIDs = (added.map(\.token.id) + paddingRows).sorted()
    let indexByID = Dictionary(uniqueKeysWithValues: added.enumerated().map { ($1.token.id, $0) })
    return RowRewrite(
      model: model, tensors: tensors, rowsBefore: rowsBefore,
      rowMap: .rewriting(rows: rowsBefore, writtenIDs: targetIDs, rowsAfter: rowsAfter),
      targets: targetIDs.map { indexByID[$0].map { .token($0) } ?? .padding }, rule: request.initialization,
      seed: request.seed, noiseScale: request.noiseScale,
      excluded: request.reuseReserved ? Set(reservedSlotIDs) : [], excludingUntrained: request.reuseReserved)
  }

  /// For `nearest`: the piece ids of each added token, split by the original tokenizer.
  func nearestPieces() throws(SurgeryError) -> [[Int]]? {
    guard request.initialization == .nearest, !added.isEmpty else { return nil }
    guard let tokenizer = try model.makeTokenizer() else { return nil }
    var pieces: [[Int]] = []
    for token in added {
      do {
        pieces.append(try tokenizer.encode(token.token.text).ids)
      } catch {
        throw .tokenization(error)
      }
    }
    return pieces
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

  /// The new contents of the folder's JSON files, keyed by file name.
  func editedFiles(dataSizeChange: Int) throws(SurgeryError) -> [String: [UInt8]] {
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
    let configPath = folder.appending("tokenizer_config.json").string
    if !records.isEmpty, FilePath(configPath).exists {
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
    let vocabularyPath = folder.appending("vocab.txt").string
    if renames.contains(where: \.slot.isInModelVocabulary), FilePath(vocabularyPath).exists,
      let bytes = ModelFileEdits.renameSlots(renames, inVocabularyText: try readAll(vocabularyPath))
    {
      edited[model.relativePath(of: "vocab.txt")] = bytes
    }
    let mapPath = folder.appending("special_tokens_map.json").string
    if !records.isEmpty, request.special, FilePath(mapPath).exists {
      edited[model.relativePath(of: "special_tokens_map.json")] = try ModelFileEdits.addTokens(
        records, toSpecialTokensMap: try readAll(mapPath), path: mapPath)
    }
    if rowsAfter != rowsBefore || model.config?.vocabularySize != rowsAfter, let configPath = model.config?.path {
      edited[model.relativePath(of: "config.json")] = try ModelFileEdits.setVocabularySize(
        rowsAfter, inConfig: try readAll(configPath), path: configPath)
    }
    if model.checkpoint.index != nil {
      let indexPath = folder.appending(ShardIndex.fileName).string
      let total: Int
      do {
        total = try model.checkpoint.tensors().reduce(0) { $0 + $1.info.byteCount } + dataSizeChange
      } catch {
        throw .safeTensors(error)
      }
      edited[model.relativePath(of: "model.safetensors.index.json")] = try ModelFileEdits.setTotalSize(
        total, inIndex: try readAll(indexPath), path: indexPath)
    }
    return edited
  }
}

/// The bytes of the file at `path`.
private func readAll(_ path: String) throws(SurgeryError) -> [UInt8] {
  try fileSystem { () throws(FileSystemError) in try FilePath(path).readAll() }
}

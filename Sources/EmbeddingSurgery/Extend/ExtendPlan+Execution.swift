import FileSystem
import SafeTensors
import SystemPackage
import Tokenization

extension ExtendPlan {
  /// The rows this plan writes: the new tokens' rows (by the request's rule; `nearest` from their
  /// old pieces) and padding rows.
  func rowRewrite() -> RowRewrite {
    let tokenIDs = newTokens.map(\.id)
    let targetIDs = (tokenIDs + paddingRows).sorted()
    let firstNewID = vocabularyExtension.firstNewID
    return RowRewrite(
      model: model, tensors: tensors, rowsBefore: rowsBefore,
      rowMap: .rewriting(rows: rowsBefore, writtenIDs: targetIDs, rowsAfter: rowsAfter),
      targets: targetIDs.map {
        $0 >= firstNewID && $0 < firstNewID + tokenIDs.count ? .token($0 - firstNewID) : .padding
      },
      rule: request.initialization, seed: request.seed, noiseScale: request.noiseScale, excluded: [],
      excludingUntrained: false)
  }

  /// The report of the plan without writing anything (`--dry-run`).
  public func dryRunReport(output: SurgeryOutput) throws(SurgeryError) -> ExtendReport {
    report(output: outputPath(for: output), written: false, notes: [])
  }

  /// Carries out the plan: writes the extended checkpoint (the tokenizer.json, tokenizer.model
  /// and config.json updated, every other file shared or copied) to a temporary path beside the
  /// output, then moves it into place. On any error nothing is left at the output path and the
  /// input is untouched.
  ///
  /// - Complexity: one pass over the embedding and head for the statistics, alongside a copy of
  ///   the checkpoint (in the kernel for untouched data); memory grows with the new rows only.
  public func execute(
    into output: SurgeryOutput, linkingUnchanged: Bool = false,
    progress: (@Sendable (Int64, Int64) -> Void)? = nil
  ) throws(SurgeryError) -> ExtendReport {
    guard writesAnything else {
      return report(output: outputPath(for: output), written: false, notes: ["no merge was added: nothing written"])
    }
    let destination = try destination(for: output, linkingUnchanged: linkingUnchanged)
    let rewrite = rowRewrite()
    let edited = try editedFiles(dataSizeChange: try rewrite.dataSizeChange())
    let pieces = vocabularyExtension.piecesOfNewTokens.map { $0.filter { $0 >= 0 && $0 < rowsBefore } }
    let outcome = try rewrite.write(
      edited: edited, to: destination, linkingUnchanged: linkingUnchanged, progress: progress
    ) { (threads) throws(SurgeryError) -> RowRewrite.PreparedRows in
      try rewrite.prepareRows(pieces: pieces, threads: threads)
    }
    return report(output: destination.path, written: true, notes: outcome.notes + linkNotes(linkingUnchanged))
  }

  func report(output: String, written: Bool, notes: [String]) -> ExtendReport {
    var notes = notes
    if let stoppedEarly {
      let learned = vocabularyExtension.merges.filter { !$0.isDecomposition }.count
      notes.append("learned \(learned) of \(request.merges) merges: \(stoppedEarly)")
    }
    let splits = vocabularyExtension.merges.filter(\.isDecomposition).count
    if splits > 0 {
      notes.append(
        "\(splits) merges were added for other splits of new tokens, as sentencepiece merges any two pieces that make a piece"
      )
    }
    if !reusedRows.isEmpty {
      notes.append("\(reusedRows.count) existing rows past the tokenizer's vocabulary were re-initialized")
    }
    if !paddingRows.isEmpty { notes.append("\(paddingRows.count) padding rows were added with the mean row") }
    return ExtendReport(
      rowsBefore: rowsBefore, rowsAfter: rowsAfter, merges: vocabularyExtension.writtenMerges, newTokens: newTokens,
      pieces: vocabularyExtension.piecesOfNewTokens,
      skipped: skipped.map { ExtendReport.SkippedWord(token: $0.text, reason: $0.reason) },
      corpusTexts: corpus.textCount, corpusBytes: corpus.byteCount, tokensBefore: corpus.tokenCount,
      tokensAfter: tokensAfter, resized: changedTensors, output: output, written: written, notes: notes)
  }

  /// The new contents of the folder's files: tokenizer.json (vocabulary and merges),
  /// tokenizer.model (new pieces), config.json (`vocab_size`) and the shard index (total size).
  func editedFiles(dataSizeChange: Int) throws(SurgeryError) -> [String: [UInt8]] {
    var edited: [String: [UInt8]] = [:]
    guard let tokenizerPath = model.tokenizerPath, let bytes = model.tokenizerBytes, let json = model.tokenizerJSON
    else { return edited }
    func tokenization<Result>(_ body: () throws(TokenizationError) -> Result) throws(SurgeryError) -> Result {
      do {
        return try body()
      } catch {
        throw .tokenization(error)
      }
    }
    edited[model.relativePath(of: "tokenizer.json")] = try tokenization { () throws(TokenizationError) in
      try vocabularyExtension.rewriteTokenizerJSON(bytes, json: json, path: tokenizerPath)
    }
    if let sentencePieceModel {
      edited[model.relativePath(of: "tokenizer.model")] = try tokenization { () throws(TokenizationError) in
        try vocabularyExtension.rewriteSentencePieceModel(sentencePieceModel)
      }
    }
    if rowsAfter != rowsBefore || model.config?.vocabularySize != rowsAfter, let configPath = model.config?.path {
      let configBytes = try fileSystem { () throws(FileSystemError) in try FilePath(configPath).readAll() }
      edited[model.relativePath(of: "config.json")] = try ModelFileEdits.setVocabularySize(
        rowsAfter, inConfig: configBytes, path: configPath)
    }
    if model.checkpoint.index != nil {
      let indexPath = model.folder.appending(ShardIndex.fileName).string
      let total: Int
      do {
        total = try model.checkpoint.tensors().reduce(0) { $0 + $1.info.byteCount } + dataSizeChange
      } catch {
        throw .safeTensors(error)
      }
      let indexBytes = try fileSystem { () throws(FileSystemError) in try FilePath(indexPath).readAll() }
      edited[model.relativePath(of: ShardIndex.fileName)] = try ModelFileEdits.setTotalSize(
        total, inIndex: indexBytes, path: indexPath)
    }
    return edited
  }
}

import FileSystem
import SafeTensors
import SystemPackage
import Tokenization

extension ExtendPlan {
  /// Every row kept in place; the new tokens' rows and the padding rows written.
  public var rowMap: RowMap {
    .rewriting(rows: rowsBefore, writtenIDs: writtenIDs, rowsAfter: rowsAfter)
  }

  /// The written rows, by the request's rule: a new token's rows from its old pieces (`nearest`:
  /// the pieces its merges join), padding rows the mean row.
  public var rowSource: InitializedRows {
    let firstNewID = vocabularyExtension.firstNewID
    let count = newTokens.count
    return InitializedRows(
      model: model,
      targets: writtenIDs.map { $0 >= firstNewID && $0 < firstNewID + count ? .token($0 - firstNewID) : .padding },
      pieces: vocabularyExtension.piecesOfNewTokens, rule: request.initialization, seed: request.seed,
      noiseScale: request.noiseScale, excluded: [], excludingUntrained: false)
  }

  /// The ids of the rows written, ascending: the new tokens' and the padding rows.
  var writtenIDs: [Int] { (newTokens.map(\.id) + paddingRows).sorted() }

  /// The report: the merges, the corpus's tokens before and after, the rows, the notes.
  public func report(output: FilePath, run: RewriteRun<InitializedRows.Outcome>) throws(SurgeryError)
    -> ExtendReport
  {
    var notes = run.outcome?.notes ?? []
    notes += run.notes
    if case .nothingToWrite = run { notes.append("no merge was added: nothing written") }
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
    let merges = vocabularyExtension.writtenMerges
    return ExtendReport(
      rowsBefore: rowsBefore, rowsAfter: rowsAfter, merges: merges,
      readableTokens: merges.map { vocabularyExtension.displayText($0.token.text) }, newTokens: newTokens,
      pieces: vocabularyExtension.piecesOfNewTokens,
      skipped: skipped.map { ExtendReport.SkippedWord(token: $0.text, reason: $0.reason) },
      corpusTexts: corpus.textCount, corpusBytes: corpus.byteCount, tokensBefore: corpus.tokenCount,
      tokensAfter: tokensAfter, resized: changedTensors, output: output.string, written: run.wrote, notes: notes)
  }

  /// The new contents of the folder's files, keyed by path relative to the model's root:
  /// tokenizer.json (vocabulary and merges), tokenizer.model (new pieces) and config.json
  /// (`vocab_size`); tokenizer_config.json is untouched (no added token changes).
  public func editedFiles() throws(SurgeryError) -> [FilePath: [UInt8]] {
    var edited: [FilePath: [UInt8]] = [:]
    guard let tokenizerPath = model.tokenizerPath, let bytes = model.tokenizerBytes, let json = model.tokenizerJSON
    else { return edited }
    func tokenization<Result>(_ body: () throws(TokenizationError) -> Result) throws(SurgeryError) -> Result {
      do {
        return try body()
      } catch {
        throw .tokenization(error)
      }
    }
    edited[FilePath(model.relativePath(of: "tokenizer.json"))] = try tokenization { () throws(TokenizationError) in
      try vocabularyExtension.rewriteTokenizerJSON(bytes, json: json, path: tokenizerPath)
    }
    if let sentencePieceModel {
      edited[FilePath(model.relativePath(of: "tokenizer.model"))] = try tokenization {
        () throws(TokenizationError) in
        try vocabularyExtension.rewriteSentencePieceModel(sentencePieceModel)
      }
    }
    if rowsAfter != rowsBefore || model.config?.vocabularySize != rowsAfter, let configPath = model.config?.path {
      let configBytes = try fileSystem { () throws(FileSystemError) in try configPath.readAll() }
      edited[FilePath(model.relativePath(of: "config.json"))] = try ModelFileEdits.setVocabularySize(
        rowsAfter, inConfig: configBytes, path: configPath)
    }
    return edited
  }
}

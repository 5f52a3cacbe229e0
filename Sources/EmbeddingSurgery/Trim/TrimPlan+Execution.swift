import FileSystem
import SafeTensors
import SystemPackage
import Tokenization

extension TrimPlan {
  /// The kept rows, in id order (their new ids).
  public var rowMap: RowMap { .gathering(tokenizerTrim.keptIDs) }

  /// A trim writes no row: every output row is a kept row.
  public var rowSource: KeptRows { KeptRows() }

  /// The report: sizes before and after, the renumbering, what the corpus used, and the notes.
  public func report(output: FilePath, run: RewriteRun<Void>) throws(SurgeryError) -> TrimReport {
    var notes = run.notes
    if case .nothingToWrite = run { notes.append("nothing to remove: nothing written") }
    if usage.textCount == 0 {
      notes.append("the corpus holds no text: only the base vocabulary and the special tokens are kept")
    }
    if !model.isFolder {
      notes.append("the tokenizer files were left unchanged (only the safetensors file is written)")
    }
    let bytesBefore = try checkpointBytes()
    let change = writesAnything ? try dataSizeChange() : 0
    let kept = tokenizerTrim.keptIDs
    return TrimReport(
      rowsBefore: rowsBefore, rowsAfter: rowsAfter, kept: kept.count, removed: idMap.oldCount - kept.count,
      bytesBefore: bytesBefore, bytesAfter: bytesBefore + change, resized: changedTensors, output: output.string,
      renumbering: kept.enumerated().map { TrimReport.Renumbered(old: $1, new: $0) },
      skipped: tokenizerTrim.skippedKeepTokens,
      corpus: TrimReport.Corpus(texts: usage.textCount, tokens: usage.tokenCount), written: run.wrote, notes: notes)
  }

  /// The data bytes of the checkpoint's safetensors files (their tensors).
  private func checkpointBytes() throws(SurgeryError) -> Int {
    do {
      return try model.checkpoint.tensors().reduce(0) { $0 + $1.info.byteCount }
    } catch {
      throw .safeTensors(error)
    }
  }

  /// The new contents of the folder's files that hold ids, keyed by path relative to the model's
  /// root: tokenizer.json, tokenizer_config.json, vocab.txt, tokenizer.model, config.json and
  /// generation_config.json.
  public func editedFiles() throws(SurgeryError) -> [FilePath: [UInt8]] {
    var edited: [String: [UInt8]] = [:]
    let folder = model.folder
    let vocabulary = tokenizerFile.tokenizer.vocabulary
    func tokenization<Result>(_ body: () throws(TokenizationError) -> Result) throws(SurgeryError) -> Result {
      do {
        return try body()
      } catch {
        throw .tokenization(error)
      }
    }
    func read(_ name: String) throws(SurgeryError) -> [UInt8]? {
      let path = folder.appending(name)
      guard path.exists else { return nil }
      return try fileSystem { () throws(FileSystemError) in try path.readAll() }
    }
    if model.ownsTokenizerJSON {
      edited[model.relativePath(of: "tokenizer.json")] = try tokenization { () throws(TokenizationError) in
        try tokenizerTrim.rewriteTokenizerJSON(tokenizerFile)
      }
      if let bytes = try read("tokenizer_config.json") {
        let path = folder.appending("tokenizer_config.json")
        edited[model.relativePath(of: "tokenizer_config.json")] = try tokenization { () throws(TokenizationError) in
          try tokenizerTrim.rewriteTokenizerConfig(bytes, path: path)
        }
      }
      if let bytes = try read("vocab.txt") {
        let path = folder.appending("vocab.txt")
        edited[model.relativePath(of: "vocab.txt")] = try tokenization { () throws(TokenizationError) in
          try tokenizerTrim.rewriteVocabularyText(bytes, path: path, vocabulary: vocabulary)
        }
      }
      if let sentencePieceModel {
        edited[model.relativePath(of: "tokenizer.model")] = try tokenization { () throws(TokenizationError) in
          try tokenizerTrim.rewriteSentencePieceModel(sentencePieceModel, vocabulary: vocabulary)
        }
      }
    }
    let map = idMap
    if let config = model.config, let bytes = try read("config.json") {
      let sized = try ModelFileEdits.setVocabularySize(rowsAfter, inConfig: bytes, path: config.path)
      edited[model.relativePath(of: "config.json")] = try ModelFileEdits.renumberTokenIDs(
        inConfig: sized, path: config.path
      ) { map[$0] }
    }
    if let bytes = try read("generation_config.json") {
      edited[model.relativePath(of: "generation_config.json")] = try ModelFileEdits.renumberTokenIDs(
        inConfig: bytes, path: folder.appending("generation_config.json")
      ) { map[$0] }
    }
    return Dictionary(uniqueKeysWithValues: edited.map { (FilePath($0.key), $0.value) })
  }
}

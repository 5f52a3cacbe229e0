import FileSystem
import SafeTensors
import SystemPackage
import Tokenization

extension TrimPlan {
  /// The rows this plan keeps.
  func rowRewrite() -> RowRewrite {
    RowRewrite(
      model: model, tensors: tensors, rowsBefore: rowsBefore, rowMap: .gathering(tokenizerTrim.keptIDs),
      targets: [], rule: .mean, seed: 0, noiseScale: .standard, excluded: [], excludingUntrained: false)
  }

  /// The report of the plan without writing anything (`--dry-run`).
  public func dryRunReport(output: SurgeryOutput) throws(SurgeryError) -> TrimReport {
    try report(output: outputPath(for: output), written: false, notes: [])
  }

  /// Carries out the plan: writes the trimmed checkpoint (and, for a folder, the tokenizer and
  /// config files renumbered, every other file cloned) to a temporary path beside the output,
  /// then moves it into place. Writes nothing when there is nothing to remove. On any error
  /// nothing is left at the output path and the input is untouched.
  ///
  /// - Complexity: the changed files' kept rows (shared with the input on a copy-on-write file
  ///   system where they keep their alignment) and a copy of the rest; memory does not grow with
  ///   the matrices.
  public func execute(
    into output: SurgeryOutput, linkingUnchanged: Bool = false,
    progress: (@Sendable (Int64, Int64) -> Void)? = nil
  ) throws(SurgeryError) -> TrimReport {
    guard writesAnything else {
      return try report(
        output: outputPath(for: output), written: false, notes: ["nothing to remove: nothing written"])
    }
    let destination = try destination(for: output, linkingUnchanged: linkingUnchanged)
    let rewrite = rowRewrite()
    let edited = model.isFolder ? try editedFiles(dataSizeChange: try rewrite.dataSizeChange()) : [:]
    _ = try rewrite.write(edited: edited, to: destination, linkingUnchanged: linkingUnchanged, progress: progress) {
      _ throws(SurgeryError) in RowRewrite.PreparedRows()
    }
    return try report(output: destination.path, written: true, notes: linkNotes(linkingUnchanged))
  }

  func report(output: String, written: Bool, notes: [String]) throws(SurgeryError) -> TrimReport {
    var notes = notes
    if usage.textCount == 0 {
      notes.append("the corpus holds no text: only the base vocabulary and the special tokens are kept")
    }
    if !model.isFolder {
      notes.append("the tokenizer files were left unchanged (only the safetensors file is written)")
    }
    let bytesBefore = try checkpointBytes()
    let change = writesAnything ? try rowRewrite().dataSizeChange() : 0
    let kept = tokenizerTrim.keptIDs
    return TrimReport(
      rowsBefore: rowsBefore, rowsAfter: rowsAfter, kept: kept.count, removed: idMap.oldCount - kept.count,
      bytesBefore: bytesBefore, bytesAfter: bytesBefore + change, resized: changedTensors, output: output,
      renumbering: kept.enumerated().map { TrimReport.Renumbered(old: $1, new: $0) },
      skipped: tokenizerTrim.skippedKeepTokens,
      corpus: TrimReport.Corpus(texts: usage.textCount, tokens: usage.tokenCount), written: written, notes: notes)
  }

  /// The data bytes of the checkpoint's safetensors files (their tensors).
  private func checkpointBytes() throws(SurgeryError) -> Int {
    do {
      return try model.checkpoint.tensors().reduce(0) { $0 + $1.info.byteCount }
    } catch {
      throw .safeTensors(error)
    }
  }

  /// The new contents of the folder's files that hold ids, keyed by name: tokenizer.json,
  /// tokenizer_config.json, vocab.txt, tokenizer.model, config.json, generation_config.json and
  /// the shard index.
  func editedFiles(dataSizeChange: Int) throws(SurgeryError) -> [String: [UInt8]] {
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
        let path = folder.appending("tokenizer_config.json").string
        edited[model.relativePath(of: "tokenizer_config.json")] = try tokenization { () throws(TokenizationError) in
          try tokenizerTrim.rewriteTokenizerConfig(bytes, path: path)
        }
      }
      if let bytes = try read("vocab.txt") {
        let path = folder.appending("vocab.txt").string
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
        inConfig: bytes, path: folder.appending("generation_config.json").string
      ) { map[$0] }
    }
    if model.checkpoint.index != nil, let bytes = try read(ShardIndex.fileName) {
      edited[model.relativePath(of: ShardIndex.fileName)] = try ModelFileEdits.setTotalSize(
        try checkpointBytes() + dataSizeChange, inIndex: bytes, path: folder.appending(ShardIndex.fileName).string)
    }
    return edited
  }
}

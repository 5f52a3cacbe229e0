import SystemPackage

extension TokenizerTrim {
  /// The trimmed `vocab.txt` of a WordPiece (BERT) model: one token a line, line *n* holding
  /// id *n*; the kept lines in order, so that line *n* holds new id *n*. Line endings (`\n` or
  /// `\r\n`) and a final newline stay as they were.
  ///
  /// - Parameters:
  ///   - bytes: the file's text.
  ///   - path: the file's path, for error messages.
  ///   - vocabulary: the vocabulary of the tokenizer.json the plan was made from; each kept line
  ///     must hold that id's token.
  /// - Throws: ``TokenizationError/malformed(path:what:)`` when a kept id has no line or its
  ///   line holds another token (the two files disagree, and a rewrite would be inconsistent).
  /// - Complexity: O(*n*) in the size of the file.
  public func rewriteVocabularyText(
    _ bytes: [UInt8], path: FilePath, vocabulary: TokenizerVocabulary
  ) throws(TokenizationError) -> [UInt8] {
    var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
    let finalNewline = bytes.last == 0x0A
    if finalNewline { lines.removeLast() }
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count)
    var written = 0
    for id in keptIDs {
      // Added tokens past the vocabulary (ids after the last line) have no line.
      if id >= lines.count {
        if vocabulary.addedTokens.contains(where: { $0.id == id }) { continue }
        throw .malformed(path: path, what: "has \(lines.count) lines, no line for id \(id)")
      }
      let line = lines[id]
      let text = line.last == 0x0D ? line.dropLast() : line
      guard let token = vocabulary.token(of: id), text.elementsEqual(token.utf8) else {
        throw .malformed(
          path: path,
          what:
            "line \(id + 1) holds \(String(decoding: text, as: UTF8.self).debugDescription), not the token of id \(id) in tokenizer.json"
        )
      }
      if written > 0 { output.append(0x0A) }
      output.append(contentsOf: line)
      written += 1
    }
    if finalNewline && written > 0 { output.append(0x0A) }
    return output
  }
}

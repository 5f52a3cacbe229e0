import StrictJSON

extension TokenizerTrim {
  /// The trimmed tokenizer.json: `model.vocab` keeps the kept tokens with their new ids (for
  /// Unigram, the kept pieces in order), `model.merges` keeps the kept merges in order and in the
  /// file's format (strings or pairs), and the ids of `added_tokens`, the post-processor,
  /// `padding.pad_id` and a Unigram `unk_id` are renumbered. Every other byte of the file stays.
  ///
  /// - Parameter file: the file the plan was made from.
  /// - Throws: ``TokenizationError`` when the plan does not fit the file, or an id the file holds
  ///   cannot be rewritten (nothing is written then).
  /// - Complexity: O(*n*) in the size of the file.
  public func rewriteTokenizerJSON(_ file: TokenizerFile) throws(TokenizationError) -> [UInt8] {
    let path = file.path
    let json = file.json
    guard idMap.oldCount == file.tokenizer.vocabulary.size else {
      throw .malformed(
        path: path,
        what:
          "the trim plan was made for \(idMap.oldCount) ids, the file has \(file.tokenizer.vocabulary.size)"
      )
    }
    // 1. The ids outside the vocabulary, each a number replaced where it stands.
    let references = try TokenizerIDReferences(json: json, path: path)
    let document = JSONDocument(validBytes: file.bytes)
    var splices: [(range: Range<Int>, text: [UInt8])] = []
    for reference in references.references {
      guard let newID = idMap[reference.id] else {
        throw .malformed(
          path: path, what: "\(reference.name) is \(reference.id), which the trim removes")
      }
      guard let range = document.range(of: reference.path) else {
        throw .malformed(path: path, what: "\(reference.name) cannot be found in the text")
      }
      splices.append((range, Array(String(newID).utf8)))
    }
    var edited = JSONDocument(validBytes: try Self.splice(file.bytes, splices, path: path))
    // 2. The vocabulary.
    switch json["model"]?["vocab"] {
    case .object(let members)?:
      var kept: [JSONMember] = []
      kept.reserveCapacity(idMap.newCount)
      for member in members {
        if let id = member.value.number?.int, let newID = idMap[id] {
          kept.append(JSONMember(member.key, .number(JSONNumber(newID))))
        }
      }
      edited.replace(["model", "vocab"], with: .object(kept))
    case .array(let pieces)?:
      edited.replace(
        ["model", "vocab"], with: .array(pieces.indices.filter { idMap[$0] != nil }.map { pieces[$0] }))
    default:
      throw .malformed(path: path, what: "model.vocab must be an object or an array")
    }
    // 3. The merges.
    let merges = json["model"]?["merges"]?.elements
    switch (keptMergeRanks, merges) {
    case (nil, nil): break
    case (let ranks?, let merges?) where merges.count == mergeCount:
      edited.replace(["model", "merges"], with: .array(ranks.map { merges[$0] }))
    default:
      throw .malformed(
        path: path, what: "model.merges does not match the trim plan (\(mergeCount) merges)")
    }
    return edited.bytes
  }

  /// `bytes` with each range replaced by its text (the ranges must not overlap).
  static func splice(
    _ bytes: [UInt8], _ splices: [(range: Range<Int>, text: [UInt8])], path: String
  ) throws(TokenizationError) -> [UInt8] {
    let sorted = splices.sorted { $0.range.lowerBound < $1.range.lowerBound }
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count)
    var position = 0
    for splice in sorted {
      guard splice.range.lowerBound >= position else {
        throw .malformed(path: path, what: "two edits overlap at byte \(splice.range.lowerBound)")
      }
      output.append(contentsOf: bytes[position..<splice.range.lowerBound])
      output.append(contentsOf: splice.text)
      position = splice.range.upperBound
    }
    output.append(contentsOf: bytes[position...])
    return output
  }
}

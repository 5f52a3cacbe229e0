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
    var edits: [(path: [JSONDocument.PathComponent], value: JSONValue)] = []
    edits.reserveCapacity(references.references.count + 2)
    for reference in references.references {
      guard let newID = idMap[reference.id] else {
        throw .malformed(
          path: path, what: "\(reference.name) is \(reference.id), which the trim removes")
      }
      edits.append((reference.path, .number(JSONNumber(newID))))
    }
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
      edits.append((["model", "vocab"], .object(kept)))
    case .array(let pieces)?:
      edits.append((["model", "vocab"], .array(pieces.indices.filter { idMap[$0] != nil }.map { pieces[$0] })))
    default:
      throw .malformed(path: path, what: "model.vocab must be an object or an array")
    }
    // 3. The merges.
    let merges = json["model"]?["merges"]?.elements
    switch (keptMergeRanks, merges) {
    case (nil, nil): break
    case (let ranks?, let merges?) where merges.count == mergeCount:
      edits.append((["model", "merges"], .array(ranks.map { merges[$0] })))
    default:
      throw .malformed(
        path: path, what: "model.merges does not match the trim plan (\(mergeCount) merges)")
    }
    // Every edit found and written in one pass over the text.
    var document = file.document
    guard document.replace(edits) else {
      let ranges = document.ranges(of: edits.map(\.path))
      for (reference, range) in zip(references.references, ranges) where range == nil {
        throw .malformed(path: path, what: "\(reference.name) cannot be found in the text")
      }
      throw .malformed(path: path, what: "two of its edits overlap")
    }
    return document.bytes
  }
}

import SystemPackage

extension TokenizerTrim {
  /// The trimmed SentencePiece model: the pieces whose ids the plan keeps, in order (so piece
  /// *n* is new id *n*, as in the trimmed tokenizer.json), the trainer spec's `vocab_size` set
  /// to the new number of pieces and its `unk_id`, `bos_id`, `eos_id` and `pad_id` renumbered;
  /// every other field and byte as it was.
  ///
  /// - Parameters:
  ///   - model: the `tokenizer.model` beside the tokenizer.json the plan was made from.
  ///   - vocabulary: that tokenizer.json's vocabulary; each kept piece must be the token of its
  ///     id there (ids past the last piece, added tokens only tokenizer.json has, are skipped).
  /// - Throws: ``TokenizationError/malformed(path:what:)`` when a kept piece is not the token of
  ///   its id in tokenizer.json, when the plan removes a piece `sentencepiece` needs
  ///   (``SentencePieceModel/requiredIDs``), or when a trainer-spec id names a removed piece.
  /// - Complexity: O(*n*) in the size of the file.
  public func rewriteSentencePieceModel(
    _ model: SentencePieceModel, vocabulary: TokenizerVocabulary
  ) throws(TokenizationError) -> [UInt8] {
    let path = model.path
    let bytes = model.bytes
    var keptPieces = 0
    for (index, piece) in model.pieces.enumerated() {
      guard idMap[index] != nil else {
        if model.isRequired(piece) {
          throw .malformed(
            path: path,
            what:
              "the trim removes piece \(index) \(piece.text.debugDescription), which sentencepiece needs (keep SentencePieceModel.requiredIDs)"
          )
        }
        continue
      }
      guard let token = vocabulary.token(of: index), token.utf8.elementsEqual(piece.bytes) else {
        throw .malformed(
          path: path,
          what:
            "piece \(index) is \(piece.text.debugDescription), but id \(index) in tokenizer.json is \(vocabulary.token(of: index)?.debugDescription ?? "no token")"
        )
      }
      keptPieces += 1
    }
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count)
    var index = 0
    for field in model.fields {
      switch (field.number, field.wireType) {
      case (1, .lengthDelimited):
        if idMap[index] != nil { output.append(contentsOf: bytes[field.record]) }
        index += 1
      case (2, .lengthDelimited):
        let spec = try rewriteTrainerSpec(bytes, field.payload, pieceCount: keptPieces, path: path)
        ProtobufWire.appendLengthDelimited(2, spec, to: &output)
      default:
        output.append(contentsOf: bytes[field.record])
      }
    }
    return output
  }

  /// The trainer spec with `vocab_size` (field 4) set to `pieceCount` and the ids `unk_id`,
  /// `bos_id`, `eos_id`, `pad_id` (fields 40 to 43) renumbered; other fields copied.
  private func rewriteTrainerSpec(
    _ bytes: [UInt8], _ range: Range<Int>, pieceCount: Int, path: FilePath
  ) throws(TokenizationError) -> [UInt8] {
    let fields: [ProtobufWire.Field]
    do throws(ProtobufWire.Problem) {
      fields = try ProtobufWire.fields(of: bytes, in: range)
    } catch {
      throw .malformed(path: path, what: "trainer_spec is not a protobuf message: \(error.reason)")
    }
    let names = [40: "unk_id", 41: "bos_id", 42: "eos_id", 43: "pad_id"]
    var output: [UInt8] = []
    for field in fields {
      guard field.wireType == .varint else {
        output.append(contentsOf: bytes[field.record])
        continue
      }
      if field.number == 4 {
        ProtobufWire.appendVarintField(4, UInt64(pieceCount), to: &output)
      } else if let name = names[field.number],
        case let old = Int(Int32(truncatingIfNeeded: field.varint)), old >= 0
      {
        guard let new = idMap[old] else {
          throw .malformed(
            path: path, what: "trainer_spec.\(name) is \(old), a piece the trim removes")
        }
        ProtobufWire.appendVarintField(field.number, UInt64(new), to: &output)
      } else {
        output.append(contentsOf: bytes[field.record])
      }
    }
    return output
  }
}

/// The tokens a model needs to encode any text without unknowns it did not have before, whatever
/// the corpus was:
///
/// - BPE with byte fallback: `<0x00>`…`<0xFF>`; other BPE (byte-level included, whose 256 byte
///   symbols are single characters): the single characters, with the continuing-subword prefix
///   and end-of-word suffix forms the vocabulary has;
/// - WordPiece: the single characters and their continuing-subword (`##`) forms;
/// - Unigram: the single-character pieces, the byte pieces when it falls back to bytes, and the
///   lowest-scored piece (an unknown character costs the lowest score minus 10, so removing that
///   piece would make unknown paths cheaper and change which split wins);
/// - every model: its unknown token, and the single-character tokens of the characters the
///   normalizer and pre-tokenizer put into the text (Metaspace's `▁`, `Prepend`, `Replace`'s
///   content): decoders turn these back into spaces only when they are (part of) a token, not
///   bytes, so without them a byte-fallback BPE would decode `▁` where a space was.
enum BaseVocabulary {
  /// The ids of the base vocabulary of `tokenizer`'s model, in no particular order.
  ///
  /// - Complexity: O(*n*) in the size of the vocabulary.
  static func ids(of tokenizer: Tokenizer) -> [Int] {
    let vocabulary = tokenizer.vocabulary
    var ids: [Int] = []
    var inserted = Set<Unicode.Scalar>()
    if let normalizer = tokenizer.normalizer { insertedScalars(normalizer, into: &inserted) }
    if let preTokenizer = tokenizer.preTokenizer { insertedScalars(preTokenizer, into: &inserted) }
    for scalar in inserted {
      if let id = vocabulary.modelVocabulary[TokenKey(String(scalar))] { ids.append(id) }
    }
    switch tokenizer.model {
    case .bpe(let model):
      if let unknown = model.unknownToken, let id = model.vocab.id(of: unknown) { ids.append(id) }
      if model.byteFallback {
        for byte in 0...255 {
          if let id = model.vocab.id(of: BPEModel.byteToken(UInt8(byte))) { ids.append(id) }
        }
      } else {
        for (key, id) in vocabulary.modelVocabulary
        where isCharacter(
          key.text, prefix: model.continuingSubwordPrefix, suffix: model.endOfWordSuffix)
        {
          ids.append(id)
        }
      }
    case .wordPiece(let model):
      if let id = vocabulary.modelVocabulary[TokenKey(model.unknownToken)] { ids.append(id) }
      for (key, id) in vocabulary.modelVocabulary
      where isCharacter(key.text, prefix: model.continuingSubwordPrefix, suffix: nil) {
        ids.append(id)
      }
    case .unigram(let model):
      if let id = model.unknownID { ids.append(id) }
      for (id, piece) in model.pieces.enumerated() where isCharacter(piece, prefix: nil, suffix: nil) {
        ids.append(id)
      }
      if model.byteFallback {
        for byte in 0...255 {
          if let id = model.ids[TokenKey(BPEModel.byteToken(UInt8(byte)))] { ids.append(id) }
        }
      }
      if let lowest = model.scores.indices.min(by: { model.scores[$0] < model.scores[$1] }) {
        ids.append(lowest)
      }
    }
    return ids
  }

  /// The scalars a normalizer puts into the text.
  private static func insertedScalars(_ normalizer: Normalizer, into set: inout Set<Unicode.Scalar>) {
    switch normalizer {
    case .prepend(let scalars), .replace(_, let scalars): set.formUnion(scalars)
    case .sequence(let steps): for step in steps { insertedScalars(step, into: &set) }
    default: break
    }
  }

  /// The scalars a pre-tokenizer puts into the text.
  private static func insertedScalars(
    _ preTokenizer: PreTokenizer, into set: inout Set<Unicode.Scalar>
  ) {
    switch preTokenizer {
    case .metaspace(let metaspace): set.insert(metaspace.replacement)
    case .sequence(let steps): for step in steps { insertedScalars(step, into: &set) }
    default: break
    }
  }

  /// Whether `token` is one Unicode scalar, optionally after `prefix` and before `suffix`.
  static func isCharacter(_ token: String, prefix: String?, suffix: String?) -> Bool {
    var scalars = Substring(token).unicodeScalars[...]
    if let prefix, !prefix.isEmpty, scalars.starts(with: prefix.unicodeScalars),
      scalars.count > prefix.unicodeScalars.count
    {
      scalars = scalars.dropFirst(prefix.unicodeScalars.count)
    }
    if let suffix, !suffix.isEmpty, scalars.count > suffix.unicodeScalars.count,
      scalars.reversed().starts(with: suffix.unicodeScalars.reversed())
    {
      scalars = scalars.dropLast(suffix.unicodeScalars.count)
    }
    return scalars.count == 1
  }
}

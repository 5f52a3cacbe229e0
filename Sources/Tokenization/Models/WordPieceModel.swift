import StrictJSON
import SystemPackage

/// WordPiece (BERT): each word is cut greedily into the longest vocabulary entries, pieces after
/// the first carrying the continuing-subword prefix; a word that cannot be cut is the unknown
/// token.
struct WordPieceModel: Sendable {
  let vocabulary: TokenizerVocabulary
  let unknownToken: String
  let continuingSubwordPrefix: String
  let maxInputCharsPerWord: Int

  init(json: JSONValue, vocabulary: TokenizerVocabulary, path: FilePath) throws(TokenizationError) {
    self.vocabulary = vocabulary
    unknownToken = try optionalString(json, "unk_token", context: "model", path: path) ?? "[UNK]"
    continuingSubwordPrefix =
      try optionalString(json, "continuing_subword_prefix", context: "model", path: path) ?? "##"
    if let value = json["max_input_chars_per_word"], !value.isNull {
      guard let number = value.number?.int, number >= 0 else {
        throw .malformed(
          path: path, what: "model.max_input_chars_per_word must be a non-negative integer")
      }
      maxInputCharsPerWord = number
    } else {
      maxInputCharsPerWord = 100
    }
  }

  func tokenize<Observer: EncodingObserver>(
    _ word: [Unicode.Scalar], path: FilePath, observer: inout Observer
  ) throws(TokenizationError) -> [(id: Int, token: String)] {
    let vocab = vocabulary.modelVocabulary
    func unknown() throws(TokenizationError) -> [(id: Int, token: String)] {
      guard let id = vocab[TokenKey(unknownToken)] else {
        throw .encodingFailed(
          path: path,
          what: "model.unk_token \(JSONWriter.quoted(unknownToken)) is not in the vocabulary")
      }
      return [(id, unknownToken)]
    }
    if word.count > maxInputCharsPerWord { return try unknown() }
    var result: [(id: Int, token: String)] = []
    var start = 0
    while start < word.count {
      var end = word.count
      var found: (id: Int, token: String)? = nil
      while start < end {
        var piece = makeString(word[start..<end])
        if start > 0 { piece = continuingSubwordPrefix + piece }
        if let id = vocab[TokenKey(piece)] {
          found = (id, piece)
          break
        }
        end -= 1
      }
      guard let found else {
        for piece in result { observer.matchedPieceOfUnknownWord(id: piece.id) }
        return try unknown()
      }
      result.append(found)
      start = end
    }
    return result
  }
}

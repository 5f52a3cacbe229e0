import StrictJSON
import SystemPackage

/// A tokenizer.json `model`: turns one pre-tokenized word into tokens.
enum TokenizerModel: Sendable {
  case bpe(BPEModel)
  case wordPiece(WordPieceModel)
  case unigram(UnigramModel)

  init(json: JSONValue, vocabulary: TokenizerVocabulary, path: FilePath) throws(TokenizationError) {
    guard json.members != nil else { throw .malformed(path: path, what: "model must be an object") }
    var type = json["type"]?.string
    if type == nil {
      // Files written before the model carried its type: guess as HF does.
      if json["merges"] != nil {
        type = "BPE"
      } else if json["vocab"]?.elements != nil {
        type = "Unigram"
      } else if json["continuing_subword_prefix"] != nil || json["max_input_chars_per_word"] != nil {
        type = "WordPiece"
      }
    }
    switch type {
    case "BPE": self = .bpe(try BPEModel(json: json, vocabulary: vocabulary, path: path))
    case "WordPiece":
      self = .wordPiece(try WordPieceModel(json: json, vocabulary: vocabulary, path: path))
    case "Unigram": self = .unigram(try UnigramModel(json: json, path: path))
    case let other?: throw .unsupported(path: path, what: "unsupported model '\(other)'")
    case nil: throw .malformed(path: path, what: "model.type is missing")
    }
  }

  /// The tokens of one word.
  func tokenize<Observer: EncodingObserver>(
    _ word: [Unicode.Scalar], path: FilePath, observer: inout Observer
  ) throws(TokenizationError) -> [(id: Int, token: String)] {
    switch self {
    case .bpe(let model): try model.tokenize(word, path: path, observer: &observer)
    case .wordPiece(let model): try model.tokenize(word, path: path, observer: &observer)
    case .unigram(let model): try model.tokenize(word, path: path)
    }
  }
}

/// The string of some scalars.
func makeString<S: Sequence<Unicode.Scalar>>(_ scalars: S) -> String {
  var view = String.UnicodeScalarView()
  view.append(contentsOf: scalars)
  return String(view)
}

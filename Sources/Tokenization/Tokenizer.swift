import StrictJSON
import SystemPackage

/// A tokenizer read from a HF tokenizer.json file, encoding text to the same ids as the HF
/// `tokenizers` library (0.23).
///
/// Supported: BPE (byte-level and SentencePiece-style, with byte fallback), WordPiece and Unigram
/// models; the NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Replace, Prepend,
/// Precompiled (SentencePiece rules), BertNormalizer and Sequence normalizers; the ByteLevel, Split, Metaspace, Whitespace,
/// WhitespaceSplit, Punctuation, Digits, BertPreTokenizer and Sequence pre-tokenizers; added
/// tokens with their matching options. Anything else is an error naming it. The post-processor,
/// decoder, padding and truncation are not used (no special tokens are added).
public final class Tokenizer: Sendable {
  /// The file's vocabulary and added tokens.
  public let vocabulary: TokenizerVocabulary
  /// The file's path, for error messages.
  let path: FilePath
  let normalizer: Normalizer?
  let preTokenizer: PreTokenizer?
  let model: TokenizerModel
  /// Added tokens matched in the raw text.
  let rawMatcher: AddedTokenMatcher
  /// Added tokens matched in the normalized text (their contents normalized too).
  let normalizedMatcher: AddedTokenMatcher

  /// Reads a parsed tokenizer.json file.
  ///
  /// - Parameter path: the file's path, for error messages.
  /// - Throws: ``TokenizationError`` naming any malformed member or unsupported component.
  /// - Complexity: O(*n*) in the size of the vocabulary and merges.
  public convenience init(json: JSONValue, path: FilePath) throws(TokenizationError) {
    try self.init(json: json, vocabulary: try TokenizerVocabulary(json: json, path: path), path: path)
  }

  /// Reads a parsed tokenizer.json file whose vocabulary was already read from that same `json`
  /// (so that it is not built twice).
  ///
  /// - Complexity: O(*n*) in the merges (and, for WordPiece and Unigram, the vocabulary).
  package init(json: JSONValue, vocabulary: TokenizerVocabulary, path: FilePath) throws(TokenizationError) {
    self.path = path
    self.vocabulary = vocabulary
    if let value = json["normalizer"], !value.isNull {
      normalizer = try Normalizer(json: value, context: "normalizer", path: path)
    } else {
      normalizer = nil
    }
    if let value = json["pre_tokenizer"], !value.isNull {
      preTokenizer = try PreTokenizer(json: value, context: "pre_tokenizer", path: path)
    } else {
      preTokenizer = nil
    }
    guard let modelJSON = json["model"] else {
      throw .malformed(path: path, what: "model is missing")
    }
    model = try TokenizerModel(json: modelJSON, vocabulary: vocabulary, path: path)
    var raw: [AddedTokenMatcher.Pattern] = []
    var normalized: [AddedTokenMatcher.Pattern] = []
    for token in vocabulary.addedTokens {
      let id = vocabulary.id(of: token.content) ?? token.id
      if token.normalized {
        var text = NormalizedText(token.content)
        normalizer?.normalize(&text)
        normalized.append(.init(scalars: text.scalars, id: id, token: token))
      } else {
        raw.append(.init(scalars: Array(token.content.unicodeScalars), id: id, token: token))
      }
    }
    rawMatcher = AddedTokenMatcher(raw)
    normalizedMatcher = AddedTokenMatcher(normalized)
  }

  /// Reads a tokenizer.json file.
  ///
  /// - Throws: ``TokenizationError`` when the file cannot be read, is not JSON, or uses a
  ///   component the engine does not implement.
  public convenience init(contentsOf path: FilePath) throws(TokenizationError) {
    let bytes = try readFile(path)
    let json: JSONValue
    do {
      json = try JSONParser.parse(bytes)
    } catch {
      throw .invalidJSON(path: path, error)
    }
    try self.init(json: json, path: path)
  }

  /// Encodes a text: ids and token strings, without special tokens added (no post-processor);
  /// padding and truncation are ignored.
  ///
  /// - Throws: ``TokenizationError/encodingFailed(path:what:)`` when the model needs an unknown
  ///   token it does not have.
  /// - Complexity: O(*n* log *n*) in the length of the text for BPE (O(*n*·*m*) for WordPiece and
  ///   Unigram, *m* the longest token); thread-safe.
  public func encode(_ text: String) throws(TokenizationError) -> Encoding {
    var observer = IgnoringObserver()
    return try encode(text, observer: &observer)
  }

  /// The pieces the model sees: added tokens matched in the raw text, the rest normalized, added
  /// tokens matched in the normalized text, then pre-tokenized (steps 1 to 3 of encoding).
  func preTokenizedPieces(_ text: String) -> [TextPiece] {
    // 1. Added tokens matched in the raw text.
    var pieces = rawMatcher.split(NormalizedText(text))
    // 2. Normalize the rest, then match the normalized added tokens in it.
    var normalizedPieces: [TextPiece] = []
    for piece in pieces {
      if piece.token != nil {
        normalizedPieces.append(piece)
        continue
      }
      var normalized = piece.text
      normalizer?.normalize(&normalized)
      normalizedPieces.append(contentsOf: normalizedMatcher.split(normalized))
    }
    pieces = normalizedPieces
    // 3. Pre-tokenize.
    preTokenizer?.preTokenize(&pieces)
    return pieces
  }

  /// ``encode(_:)``, telling `observer` the models' inner steps (trimming records them).
  func encode<Observer: EncodingObserver>(_ text: String, observer: inout Observer)
    throws(TokenizationError) -> Encoding
  {
    let pieces = preTokenizedPieces(text)
    // 4. The model.
    var encoding = Encoding(ids: [], tokens: [])
    for piece in pieces {
      if let token = piece.token {
        encoding.ids.append(token.id)
        encoding.tokens.append(token.text)
        continue
      }
      for token in try model.tokenize(piece.text.scalars, path: path, observer: &observer) {
        encoding.ids.append(token.id)
        encoding.tokens.append(token.token)
      }
    }
    return encoding
  }
}

import StrictJSON
import SystemPackage

/// The token strings and ids of a tokenizer.json file: the model's `vocab` and the
/// `added_tokens`.
///
/// Reading is tolerant: only `model.vocab` (an object token → id for BPE, WordPiece and
/// WordLevel; for Unigram an array of `[piece, score]` whose index is the id) and `added_tokens`
/// are read, so a file whose normalizer or pre-tokenizer the engine does not implement still has
/// a vocabulary.
public struct TokenizerVocabulary: Sendable {
  /// The model's tokens by UTF-8 bytes (for duplicated names the last one wins, as in HF).
  private var modelIDs: [TokenKey: Int]
  /// The model's tokens by id (for duplicated ids the first one wins).
  private var modelTokensByID: [Int: String]
  /// The added tokens' ids by content.
  private var addedIDs: [TokenKey: Int]
  /// The added tokens by id (for repeated ids the last entry wins).
  private var addedByID: [Int: AddedToken]
  /// The model's tokens in file order (BPE and WordPiece: `model.vocab`'s members; Unigram: its
  /// pieces), duplicates included.
  public private(set) var modelTokens: [Token]
  /// The `added_tokens` entries, in file order.
  public private(set) var addedTokens: [AddedToken]
  /// The largest id in the vocabulary and the added tokens, plus one (0 when both are empty).
  public private(set) var size: Int

  /// Reads the vocabulary of a parsed tokenizer.json file.
  ///
  /// - Parameter path: the file's path, for error messages.
  /// - Throws: ``TokenizationError/malformed(path:what:)`` when `model.vocab` or `added_tokens`
  ///   is missing or has the wrong shape.
  /// - Complexity: O(*n*) in the number of tokens.
  public init(json: JSONValue, path: FilePath) throws(TokenizationError) {
    guard json.members != nil else {
      throw .malformed(
        path: path, what: "the top level must be an object, not \(json.kindDescription)")
    }
    guard let model = json["model"], model.members != nil else {
      throw .malformed(path: path, what: "model is missing or not an object")
    }
    guard let vocab = model["vocab"] else {
      throw .malformed(path: path, what: "model.vocab is missing")
    }
    let modelVocabulary = try Self.modelVocabulary(vocab, path: path)
    var largest = modelVocabulary.largest
    var addedTokens: [AddedToken] = []
    var addedIDs: [TokenKey: Int] = [:]
    var addedByID: [Int: AddedToken] = [:]
    if let added = json["added_tokens"], !added.isNull {
      guard let elements = added.elements else {
        throw .malformed(path: path, what: "added_tokens must be an array")
      }
      for (index, element) in elements.enumerated() {
        let token = try AddedToken(json: element, context: "added_tokens[\(index)]", path: path)
        addedTokens.append(token)
        addedIDs[TokenKey(token.content)] = token.id
        addedByID[token.id] = token
        largest = max(largest, token.id)
      }
    }
    self.modelIDs = modelVocabulary.ids
    self.modelTokensByID = modelVocabulary.tokensByID
    self.modelTokens = modelVocabulary.order
    self.addedIDs = addedIDs
    self.addedByID = addedByID
    self.addedTokens = addedTokens
    self.size = largest + 1
  }

  /// The model's vocabulary, `model.vocab`: an object of token to id (BPE, WordPiece, WordLevel)
  /// or an array of `[piece, score]` (Unigram, ids in order). Returns the ids by token (later
  /// duplicates winning), the first token of each id, every entry in file order and the largest id.
  private static func modelVocabulary(
    _ vocab: JSONValue, path: FilePath
  ) throws(TokenizationError) -> (
    ids: [TokenKey: Int], tokensByID: [Int: String], order: [Token], largest: Int
  ) {
    var modelIDs: [TokenKey: Int] = [:]
    var modelTokens: [Int: String] = [:]
    var order: [Token] = []
    var largest = -1
    switch vocab {
    case .object(let members):
      modelIDs.reserveCapacity(members.count)
      modelTokens.reserveCapacity(members.count)
      for member in members {
        guard let id = member.value.number?.int, (0...Int(UInt32.max)).contains(id) else {
          throw .malformed(
            path: path,
            what:
              "model.vocab[\(JSONWriter.quoted(member.key))] must be an integer from 0 to 2^32-1")
        }
        modelIDs[TokenKey(member.key)] = id
        if modelTokens[id] == nil { modelTokens[id] = member.key }
        order.append(Token(id: id, text: member.key))
        largest = max(largest, id)
      }
    case .array(let pieces):
      modelIDs.reserveCapacity(pieces.count)
      modelTokens.reserveCapacity(pieces.count)
      for (index, piece) in pieces.enumerated() {
        guard let pair = piece.elements, pair.count == 2, let text = pair[0].string,
          pair[1].number?.double != nil
        else {
          throw .malformed(path: path, what: "model.vocab[\(index)] must be a [piece, score] pair")
        }
        modelIDs[TokenKey(text)] = index
        modelTokens[index] = text
        order.append(Token(id: index, text: text))
        largest = index
      }
    default:
      throw .malformed(
        path: path, what: "model.vocab must be an object or an array, not \(vocab.kindDescription)")
    }
    return (modelIDs, modelTokens, order, largest)
  }

  /// The id of a token (an added token's content first, then the model's vocabulary), comparing
  /// by UTF-8 bytes, or `nil`.
  ///
  /// - Complexity: O(*m*) in the token's length.
  public func id(of token: String) -> Int? {
    let key = TokenKey(token)
    return addedIDs[key] ?? modelIDs[key]
  }

  /// The token with an id (an added token first, then the model's vocabulary), or `nil`.
  public func token(of id: Int) -> String? {
    addedByID[id]?.content ?? modelTokensByID[id]
  }

  /// The model's vocabulary (without the added tokens), for the engine.
  var modelVocabulary: [TokenKey: Int] { modelIDs }

  /// The model's token for an id (without the added tokens), for the engine.
  func modelToken(of id: Int) -> String? { modelTokensByID[id] }
}

extension TokenizerVocabulary {
  /// One token of the vocabulary, with its `added_tokens` entry when it is an added token.
  public struct Entry: Sendable, Equatable {
    /// The token.
    public var token: Token
    /// Its `added_tokens` entry, or `nil` for a token of the model's vocabulary only.
    public var added: AddedToken?
  }

  /// The token with `id`: an added token first, then the model's vocabulary (as HF looks it up).
  public func entry(for id: Int) -> Entry? {
    if let added = addedByID[id] { return Entry(token: Token(id: id, text: added.content), added: added) }
    return modelTokensByID[id].map { Entry(token: Token(id: id, text: $0), added: nil) }
  }

  /// The token whose text is `text` (compared by UTF-8 bytes): an added token first, then the
  /// model's vocabulary.
  public func entry(forText text: String) -> Entry? {
    guard let id = id(of: text) else { return nil }
    let added = addedIDs[TokenKey(text)].flatMap { addedByID[$0] }
    return Entry(token: Token(id: id, text: text), added: added)
  }

  /// Every distinct token text once, with the id and entry it resolves to (``entry(forText:)``),
  /// in no particular order.
  ///
  /// - Complexity: O(*n*) in the number of tokens.
  public var entries: [Entry] {
    var texts = Set<TokenKey>()
    var result: [Entry] = []
    result.reserveCapacity(modelTokens.count + addedTokens.count)
    for token in addedTokens where texts.insert(TokenKey(token.content)).inserted {
      if let entry = entry(forText: token.content) { result.append(entry) }
    }
    for token in modelTokens where texts.insert(TokenKey(token.text)).inserted {
      if let entry = entry(forText: token.text) { result.append(entry) }
    }
    return result
  }
}

import StrictJSON
import Tokenization

/// The reserved placeholder tokens of a model's vocabulary (`<unusedN>`, `<|reserved_special_token_N|>`,
/// `[unusedN]`, ...) that `resize --reuse-reserved` renames to new tokens instead of growing the
/// matrix.
///
/// A slot is a token whose text matches a ``ReservedTokenPattern`` and
/// whose id has a row in the embedding. A slot is never taken when something refers to it:
/// tokenizer_config.json's `*_token` keys, `additional_special_tokens`/`extra_special_tokens` or
/// chat template, special_tokens_map.json, tokenizer.json's post-processor, or an id key
/// (`pad_token_id`, `eos_token_id`, `bos_token_id`, ... — ints or lists) of config.json or
/// generation_config.json.
public struct ReservedSlots: Sendable {
  /// Whether a token's text is a reserved placeholder of some family.
  public static func isPlaceholder(_ token: String) -> Bool {
    ReservedTokenPattern.match(token) != nil
  }

  /// A reserved placeholder token.
  public struct Slot: Sendable, Equatable {
    /// The placeholder token and its id (the row it owns).
    public var token: Token
    /// Whether tokenizer.json's `added_tokens` holds it.
    public var isAddedToken: Bool
    /// Whether tokenizer.json's `model.vocab` holds it.
    public var isInModelVocabulary: Bool

    /// A slot holding `token`.
    package init(token: Token, isAddedToken: Bool, isInModelVocabulary: Bool) {
      self.token = token
      self.isAddedToken = isAddedToken
      self.isInModelVocabulary = isInModelVocabulary
    }
  }

  /// The slots that may be taken, ascending by id.
  public let available: [Slot]
  /// The slots left alone because something refers to them, ascending by id.
  public let referenced: [Slot]

  /// Every slot id, taken or not (all of them are untrained rows for the statistics).
  public var allIDs: [Int] { (available + referenced).map(\.token.id).sorted() }

  /// Finds the slots of a model folder whose ids are below `rows`.
  ///
  /// - Throws: ``SurgeryError`` when a JSON file of the folder cannot be read.
  /// - Complexity: O(*n*) in the size of the vocabulary and of the JSON files.
  public init(model: ModelCheckpoint, rows: Int) throws(SurgeryError) {
    guard let vocabulary = model.vocabulary else {
      available = []
      referenced = []
      return
    }
    var slots: [Int: Slot] = [:]
    for token in vocabulary.addedTokens where token.id < rows && ReservedSlots.isPlaceholder(token.content) {
      slots[token.id] = Slot(token: token.token, isAddedToken: true, isInModelVocabulary: false)
    }
    for token in vocabulary.modelTokens where token.id < rows && ReservedSlots.isPlaceholder(token.text) {
      if var slot = slots[token.id] {
        if slot.token == token { slot.isInModelVocabulary = true }
        slots[token.id] = slot
      } else if vocabulary.token(of: token.id)?.utf8.elementsEqual(token.text.utf8) == true {
        slots[token.id] = Slot(token: token, isAddedToken: false, isInModelVocabulary: true)
      }
    }
    let references = try TokenReferences(of: model)
    var available: [Slot] = []
    var referenced: [Slot] = []
    for slot in slots.values.sorted(by: { $0.token.id < $1.token.id }) {
      if references.refers(to: slot.token) {
        referenced.append(slot)
      } else {
        available.append(slot)
      }
    }
    self.available = available
    self.referenced = referenced
  }
}

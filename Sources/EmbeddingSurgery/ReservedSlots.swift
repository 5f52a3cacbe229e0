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
    /// Its id (the row it owns).
    public var id: Int
    /// Its text.
    public var token: String
    /// Whether tokenizer.json's `added_tokens` holds it.
    public var isAddedToken: Bool
    /// Whether tokenizer.json's `model.vocab` holds it.
    public var isInModelVocabulary: Bool
  }

  /// The slots that may be taken, ascending by id.
  public let available: [Slot]
  /// The slots left alone because something refers to them, ascending by id.
  public let referenced: [Slot]

  /// Every slot id, taken or not (all of them are untrained rows for the statistics).
  public var allIDs: [Int] { (available + referenced).map(\.id).sorted() }

  /// Finds the slots of a model folder whose ids are below `rows`.
  ///
  /// - Throws: ``SurgeryError`` when a JSON file of the folder cannot be read.
  /// - Complexity: O(*n*) in the size of the vocabulary and of the JSON files.
  public init(model: ModelCheckpoint, rows: Int) throws(SurgeryError) {
    guard let json = model.tokenizerJSON, let vocabulary = model.vocabulary else {
      available = []
      referenced = []
      return
    }
    var slots: [Int: Slot] = [:]
    for token in vocabulary.addedTokens where token.id < rows && ReservedSlots.isPlaceholder(token.content) {
      slots[token.id] = Slot(id: token.id, token: token.content, isAddedToken: true, isInModelVocabulary: false)
    }
    func consider(_ text: String, _ id: Int) {
      guard id >= 0, id < rows, ReservedSlots.isPlaceholder(text) else { return }
      if var slot = slots[id] {
        if slot.token.utf8.elementsEqual(text.utf8) { slot.isInModelVocabulary = true }
        slots[id] = slot
      } else if let current = vocabulary.token(of: id), current.utf8.elementsEqual(text.utf8) {
        slots[id] = Slot(id: id, token: text, isAddedToken: false, isInModelVocabulary: true)
      }
    }
    switch json["model"]?["vocab"] {
    case .object(let members)?:
      for member in members {
        if let id = member.value.number?.int { consider(member.key, id) }
      }
    case .array(let pieces)?:
      for (index, piece) in pieces.enumerated() {
        if let text = piece.elements?.first?.string { consider(text, index) }
      }
    default: break
    }
    let references = try ReservedSlots.references(of: model, tokenizerJSON: json)
    var available: [Slot] = []
    var referenced: [Slot] = []
    for slot in slots.values.sorted(by: { $0.id < $1.id }) {
      if references.ids.contains(slot.id) || references.texts.contains(Array(slot.token.utf8))
        || references.templates.contains(where: { $0.utf8.contains(Array(slot.token.utf8)) })
      {
        referenced.append(slot)
      } else {
        available.append(slot)
      }
    }
    self.available = available
    self.referenced = referenced
  }

  /// What the files of a model folder refer to: token texts, ids, and template strings.
  struct References {
    var texts: Set<[UInt8]> = []
    var ids: Set<Int> = []
    var templates: [String] = []
  }

  static func references(of model: ModelCheckpoint, tokenizerJSON: JSONValue) throws(SurgeryError)
    -> References
  {
    var references = References()
    if let processor = tokenizerJSON["post_processor"] { collectTexts(processor, into: &references) }
    let folder = model.folder
    if let config = try JSONFile.readIfPresent(folder.appending("tokenizer_config.json").string) {
      for member in config.members ?? [] {
        let key = member.key
        if key.hasSuffix("_token") || key == "additional_special_tokens" || key == "extra_special_tokens" {
          collectTexts(member.value, into: &references)
        } else if key == "chat_template" {
          collectTemplates(member.value, into: &references)
        }
      }
    }
    if let map = try JSONFile.readIfPresent(folder.appending("special_tokens_map.json").string) {
      collectTexts(map, into: &references)
    }
    for name in ["config.json", "generation_config.json"] {
      if let config = try JSONFile.readIfPresent(folder.appending(name).string) {
        collectIDs(config, into: &references)
      }
    }
    return references
  }

  /// Every string in a value (`{"content": ...}` objects included), and ids under `ids` keys.
  private static func collectTexts(_ value: JSONValue, into references: inout References) {
    switch value {
    case .string(let text): references.texts.insert(Array(text.utf8))
    case .array(let elements): for element in elements { collectTexts(element, into: &references) }
    case .object(let members):
      for member in members {
        if member.key == "ids" || member.key == "id", let ids = member.value.elements {
          for id in ids { if let id = id.number?.int { references.ids.insert(id) } }
        }
        if member.key == "id", let id = member.value.number?.int { references.ids.insert(id) }
        collectTexts(member.value, into: &references)
      }
    default: break
    }
  }

  private static func collectTemplates(_ value: JSONValue, into references: inout References) {
    switch value {
    case .string(let text): references.templates.append(text)
    case .array(let elements): for element in elements { collectTemplates(element, into: &references) }
    case .object(let members): for member in members { collectTemplates(member.value, into: &references) }
    default: break
    }
  }

  /// The values of `*_token_id`, `*_token_ids` and `*_token_index` keys at any depth.
  private static func collectIDs(_ value: JSONValue, into references: inout References) {
    guard let members = value.members else { return }
    for member in members {
      let key = member.key
      if key.hasSuffix("_token_id") || key.hasSuffix("_token_ids") || key.hasSuffix("_token_index") {
        if let id = member.value.number?.int { references.ids.insert(id) }
        for element in member.value.elements ?? [] {
          if let id = element.number?.int { references.ids.insert(id) }
        }
      } else if member.value.members != nil {
        collectIDs(member.value, into: &references)
      }
    }
  }
}

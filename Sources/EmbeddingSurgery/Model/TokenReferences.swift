import StrictJSON
import Tokenization

/// The tokens a model's files refer to, which a surgery must keep where they are: texts named by
/// tokenizer.json's post-processor, tokenizer_config.json's `*_token` keys and special-token
/// lists, special_tokens_map.json, strings of the chat template, and the ids of config.json's and
/// generation_config.json's `*_token_id`, `*_token_ids` and `*_token_index` keys (at any depth,
/// `text_config` included; integers or lists).
///
/// `resize --reuse-reserved` never takes a referenced slot; `trim` always keeps referenced tokens.
struct TokenReferences: Sendable {
  /// Texts named anywhere (by UTF-8 bytes).
  var texts: Set<[UInt8]> = []
  /// Ids named by the configs and the post-processor.
  var ids: Set<Int> = []
  /// The chat templates.
  var templates: [String] = []

  /// Whether a file refers to `token`: by id, by text, or inside a chat template.
  func refers(to token: Token) -> Bool {
    let bytes = Array(token.text.utf8)
    return ids.contains(token.id) || texts.contains(bytes)
      || templates.contains { $0.utf8.contains(bytes) }
  }

  /// Reads the references of the files of `model`'s folder.
  ///
  /// - Throws: ``SurgeryError`` when one of the JSON files is not valid JSON.
  init(of model: ModelCheckpoint) throws(SurgeryError) {
    if let processor = model.tokenizerJSON?["post_processor"] { collectTexts(processor) }
    let folder = model.folder
    if let config = try JSONFile.readIfPresent(folder.appending("tokenizer_config.json")) {
      for member in config.members ?? [] {
        let key = member.key
        if key.hasSuffix("_token") || key == "additional_special_tokens" || key == "extra_special_tokens" {
          collectTexts(member.value)
        } else if key == "chat_template" {
          collectTemplates(member.value)
        }
      }
    }
    if let map = try JSONFile.readIfPresent(folder.appending("special_tokens_map.json")) {
      collectTexts(map)
    }
    for name in ["config.json", "generation_config.json"] {
      if let config = try JSONFile.readIfPresent(folder.appending(name)) { collectIDs(config) }
    }
  }

  /// Every string in a value (`{"content": ...}` objects included), and ids under `ids` keys.
  private mutating func collectTexts(_ value: JSONValue) {
    switch value {
    case .string(let text): texts.insert(Array(text.utf8))
    case .array(let elements): for element in elements { collectTexts(element) }
    case .object(let members):
      for member in members {
        if member.key == "ids" || member.key == "id", let listed = member.value.elements {
          for id in listed { if let id = id.number?.int { ids.insert(id) } }
        }
        if member.key == "id", let id = member.value.number?.int { ids.insert(id) }
        collectTexts(member.value)
      }
    default: break
    }
  }

  private mutating func collectTemplates(_ value: JSONValue) {
    switch value {
    case .string(let text): templates.append(text)
    case .array(let elements): for element in elements { collectTemplates(element) }
    case .object(let members): for member in members { collectTemplates(member.value) }
    default: break
    }
  }

  /// Whether a config key holds token ids: `*_token_id`, `*_token_ids`, `*_token_index`.
  static func holdsTokenIDs(_ key: String) -> Bool {
    key.hasSuffix("_token_id") || key.hasSuffix("_token_ids") || key.hasSuffix("_token_index")
  }

  /// The values of the keys that hold token ids, at any depth.
  private mutating func collectIDs(_ value: JSONValue) {
    guard let members = value.members else { return }
    for member in members {
      let key = member.key
      if TokenReferences.holdsTokenIDs(key) {
        if let id = member.value.number?.int { ids.insert(id) }
        for element in member.value.elements ?? [] {
          if let id = element.number?.int { ids.insert(id) }
        }
      } else if member.value.members != nil {
        collectIDs(member.value)
      }
    }
  }
}

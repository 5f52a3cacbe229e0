import StrictJSON
import SystemPackage
import Tokenization

/// The edits that keep `tokenizer.json`, `tokenizer_config.json`, `special_tokens_map.json` and
/// `config.json` in step with a resized matrix. Each edit rewrites only the values it changes
/// (``JSONDocument``): every other key, value, key order and bit of layout stays as it was.
package enum ModelFileEdits {
  /// Appends one `added_tokens` entry per token to a tokenizer.json:
  /// `{"id","content","single_word":false,"lstrip":false,"rstrip":false,"normalized": not special,"special"}`.
  ///
  /// - Parameter parsed: the parsed `bytes`, when the caller has it already (saves a parse of a
  ///   file that can be 10 MB).
  package static func addTokens(
    _ tokens: [AddedToken], toTokenizerJSON bytes: [UInt8], parsed: JSONValue? = nil, path: FilePath
  ) throws(SurgeryError) -> [UInt8] {
    var (document, root) = try open(bytes, parsed: parsed, path: path)
    guard root.members != nil else {
      throw .unexpectedJSON(path: path, reason: "is not a JSON object")
    }
    let entries: [JSONValue] = tokens.map { token in
      .object([
        JSONMember("id", .number(JSONNumber(token.id))),
        JSONMember("content", .string(token.content)),
        JSONMember("single_word", .bool(token.singleWord)),
        JSONMember("lstrip", .bool(token.lstrip)),
        JSONMember("rstrip", .bool(token.rstrip)),
        JSONMember("normalized", .bool(token.normalized)),
        JSONMember("special", .bool(token.special)),
      ])
    }
    switch root["added_tokens"] {
    case .array?: document.append(entries, toArrayAt: ["added_tokens"])
    case nil, .null?: document.set("added_tokens", to: .array(entries), inObjectAt: [])
    case let other?:
      throw .unexpectedJSON(path: path, reason: "added_tokens is \(other.kindDescription), not an array")
    }
    return document.bytes
  }

  /// Adds the tokens to tokenizer_config.json's `added_tokens_decoder` (when it has one), keyed by
  /// id, and, for special tokens, to the special-tokens list the file already uses
  /// (`additional_special_tokens` or `extra_special_tokens`; the first when neither exists).
  package static func addTokens(
    _ tokens: [AddedToken], toTokenizerConfig bytes: [UInt8], listAsSpecial: Bool, path: FilePath
  ) throws(SurgeryError) -> [UInt8] {
    var (document, root) = try open(bytes, path: path)
    guard root.members != nil else {
      throw .unexpectedJSON(path: path, reason: "is not a JSON object")
    }
    if let decoder = root["added_tokens_decoder"], !decoder.isNull {
      guard let existing = decoder.members else {
        throw .unexpectedJSON(
          path: path, reason: "added_tokens_decoder is \(decoder.kindDescription), not an object")
      }
      // Follow the key order of the entries already there (transformers writes them sorted).
      let order =
        existing.first?.value.members?.map(\.key)
        ?? ["content", "lstrip", "normalized", "rstrip", "single_word", "special"]
      for token in tokens {
        let fields: [String: JSONValue] = [
          "content": .string(token.content), "lstrip": .bool(token.lstrip), "normalized": .bool(token.normalized),
          "rstrip": .bool(token.rstrip), "single_word": .bool(token.singleWord), "special": .bool(token.special),
        ]
        var members = order.compactMap { key in fields[key].map { JSONMember(key, $0) } }
        for key in fields.keys.sorted() where !order.contains(key) {
          if let value = fields[key] { members.append(JSONMember(key, value)) }
        }
        document.set(String(token.id), to: .object(members), inObjectAt: ["added_tokens_decoder"])
      }
    }
    if listAsSpecial {
      try appendSpecialTokens(tokens, to: &document, root: root, path: path, createWhenMissing: true)
    }
    return document.bytes
  }

  /// Adds special tokens to special_tokens_map.json's `additional_special_tokens` (or
  /// `extra_special_tokens`) when the file already has such a list.
  package static func addTokens(_ tokens: [AddedToken], toSpecialTokensMap bytes: [UInt8], path: FilePath)
    throws(SurgeryError) -> [UInt8]
  {
    var (document, root) = try open(bytes, path: path)
    try appendSpecialTokens(tokens, to: &document, root: root, path: path, createWhenMissing: false)
    return document.bytes
  }

  static func appendSpecialTokens(
    _ tokens: [AddedToken], to document: inout JSONDocument, root: JSONValue, path: FilePath,
    createWhenMissing: Bool
  ) throws(SurgeryError) {
    let names = tokens.map { JSONValue.string($0.content) }
    let key =
      ["additional_special_tokens", "extra_special_tokens"].first { root[$0] != nil }
    guard let key else {
      if createWhenMissing {
        document.set("additional_special_tokens", to: .array(names), inObjectAt: [])
      }
      return
    }
    switch root[key] {
    case .array?: document.append(names, toArrayAt: [.key(key)])
    case .null?: document.replace([.key(key)], with: .array(names))
    case let other?:
      throw .unexpectedJSON(path: path, reason: "\(key) is \(other.kindDescription), not a list")
    case nil: break
    }
  }

  /// Sets config.json's `vocab_size`, and `text_config.vocab_size` when present, to `rows`.
  /// A config without `vocab_size` gets one only when it has no `text_config` either.
  package static func setVocabularySize(_ rows: Int, inConfig bytes: [UInt8], path: FilePath)
    throws(SurgeryError) -> [UInt8]
  {
    var (document, root) = try open(bytes, path: path)
    guard root.members != nil else {
      throw .unexpectedJSON(path: path, reason: "is not a JSON object")
    }
    let size = JSONValue.number(JSONNumber(rows))
    if let textConfig = root["text_config"], textConfig.members != nil {
      if textConfig["vocab_size"] != nil {
        document.replace(["text_config", "vocab_size"], with: size)
      }
      if root["vocab_size"] != nil { document.replace(["vocab_size"], with: size) }
    } else {
      document.set("vocab_size", to: size, inObjectAt: [])
    }
    return document.bytes
  }

  static func open(_ bytes: [UInt8], parsed: JSONValue? = nil, path: FilePath)
    throws(SurgeryError) -> (JSONDocument, JSONValue)
  {
    if let parsed { return (JSONDocument(validBytes: bytes), parsed) }
    do {
      let (document, value) = try JSONDocument.open(bytes)
      return (document, value)
    } catch {
      throw .invalidJSON(path: path, error)
    }
  }
}

extension ModelFileEdits {
  /// Sets `metadata.total_size` of a model.safetensors.index.json.
  static func setTotalSize(_ total: Int, inIndex bytes: [UInt8], path: FilePath)
    throws(SurgeryError) -> [UInt8]
  {
    var (document, _) = try open(bytes, path: path)
    guard document.set("total_size", to: .number(JSONNumber(total)), inObjectAt: ["metadata"]) else {
      throw .unexpectedJSON(path: path, reason: "has no metadata object")
    }
    return document.bytes
  }
}

import StrictJSON
import SystemPackage

/// The token ids a tokenizer.json holds outside `model.vocab`: `added_tokens[i].id`, the
/// post-processor's (TemplateProcessing `special_tokens.*.ids`, Bert/Roberta `sep` and `cls`,
/// inside `Sequence`s too), `padding.pad_id` and a Unigram model's `unk_id`.
///
/// Trimming keeps every one of these ids and rewrites each in place.
struct TokenizerIDReferences {
  /// One id and where it stands.
  struct Reference {
    var path: [JSONDocument.PathComponent]
    var id: Int
    /// The member's name in error messages, e.g. "post_processor.special_tokens["<s>"].ids[0]".
    var name: String
  }

  private(set) var references: [Reference] = []

  /// Finds the references in a parsed tokenizer.json.
  ///
  /// - Throws: ``TokenizationError/unsupported(path:what:)`` for a post-processor whose ids this
  ///   reader does not know how to find (an id left unchanged would point at another token), and
  ///   ``TokenizationError/malformed(path:what:)`` for an id that is not an integer.
  init(json: JSONValue, path: FilePath) throws(TokenizationError) {
    for (index, entry) in (json["added_tokens"]?.elements ?? []).enumerated() {
      try add(entry["id"], at: ["added_tokens", .index(index), "id"], path: path)
    }
    if let processor = json["post_processor"], !processor.isNull {
      try addPostProcessor(processor, at: ["post_processor"], path: path)
    }
    if let padding = json["padding"], !padding.isNull, let padID = padding["pad_id"] {
      try add(padID, at: ["padding", "pad_id"], path: path)
    }
    if let model = json["model"], model["type"]?.string == "Unigram" || model["vocab"]?.elements != nil,
      let unknown = model["unk_id"], !unknown.isNull
    {
      try add(unknown, at: ["model", "unk_id"], path: path)
    }
  }

  /// The ids, ascending, without repeats.
  var ids: [Int] { Array(Set(references.map(\.id))).sorted() }

  private mutating func add(
    _ value: JSONValue?, at location: [JSONDocument.PathComponent], path: FilePath
  ) throws(TokenizationError) {
    let name = Self.name(of: location)
    guard let id = value?.number?.int, id >= 0 else {
      throw .malformed(path: path, what: "\(name) must be a non-negative integer")
    }
    references.append(Reference(path: location, id: id, name: name))
  }

  private mutating func addPostProcessor(
    _ processor: JSONValue, at location: [JSONDocument.PathComponent], path: FilePath
  ) throws(TokenizationError) {
    let name = Self.name(of: location)
    guard processor.members != nil, let type = processor["type"]?.string else {
      throw .malformed(path: path, what: "\(name) must be an object with a type")
    }
    switch type {
    case "TemplateProcessing":
      guard let specials = processor["special_tokens"]?.members else { return }
      var seen = Set<[UInt8]>()
      for special in specials {
        // The document edits find the first member of a name; a repeated name cannot be edited.
        guard seen.insert(Array(special.key.utf8)).inserted else {
          throw .unsupported(
            path: path,
            what:
              "\(name).special_tokens has \(JSONWriter.quoted(special.key)) twice; its ids cannot be rewritten"
          )
        }
        let ids = special.value["ids"]?.elements ?? []
        for index in ids.indices {
          try add(
            ids[index],
            at: location + ["special_tokens", .key(special.key), "ids", .index(index)], path: path)
        }
      }
    case "BertProcessing", "RobertaProcessing":
      for key in ["sep", "cls"] {
        guard let pair = processor[key]?.elements, pair.count == 2 else {
          throw .malformed(path: path, what: "\(name).\(key) must be a [token, id] pair")
        }
        try add(pair[1], at: location + [.key(key), 1], path: path)
      }
    case "ByteLevel":
      break
    case "Sequence":
      guard let processors = processor["processors"]?.elements else {
        throw .malformed(path: path, what: "\(name).processors must be an array")
      }
      for (index, element) in processors.enumerated() {
        try addPostProcessor(element, at: location + ["processors", .index(index)], path: path)
      }
    default:
      throw .unsupported(
        path: path,
        what: "\(name) of type '\(type)' may hold token ids this tool cannot rewrite")
    }
  }

  /// `post_processor.special_tokens["<s>"].ids[0]`: member names after a dot, token names (the
  /// keys of `special_tokens`) in brackets.
  static func name(of location: [JSONDocument.PathComponent]) -> String {
    var text = ""
    var previous: JSONDocument.PathComponent? = nil
    for component in location {
      defer { previous = component }
      switch component {
      case .key(let key):
        if previous != .key("special_tokens") {
          text += text.isEmpty ? key : ".\(key)"
        } else {
          text += "[\(JSONWriter.quoted(key))]"
        }
      case .index(let index): text += "[\(index)]"
      }
    }
    return text
  }
}

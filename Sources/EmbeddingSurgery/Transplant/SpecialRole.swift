import StrictJSON
import SystemPackage
import Tokenization

/// The roles a special token can have in a model's files.
public enum SpecialRole: String, Sendable, CaseIterable, Encodable {
  case bos, eos, unk, mask, pad

  /// The role an id holding several roles counts as: the first in this order (a pad token that is
  /// also the end-of-sequence token is the end-of-sequence token).
  static let precedence: [SpecialRole] = [.bos, .eos, .unk, .mask, .pad]
}

/// The ids a model's files give each ``SpecialRole``: config.json's `*_token_id` (at the top and in
/// `text_config`), generation_config.json's, and tokenizer_config.json's `*_token` (a content or a
/// `{"content": ...}` object, looked up in the vocabulary), in that order.
package struct SpecialRoles: Sendable {
  /// The ids of each role, in the order found, without repeats.
  package private(set) var ids: [SpecialRole: [Int]] = [:]

  /// The roles of the files in `folder`, token contents resolved in `vocabulary`.
  ///
  /// - Throws: ``SurgeryError`` when one of the files is not valid JSON.
  package init(folder: FilePath, vocabulary: TokenizerVocabulary) throws(SurgeryError) {
    for name in ["config.json", "generation_config.json"] {
      guard let config = try JSONFile.readIfPresent(folder.appending(name)) else { continue }
      for role in SpecialRole.allCases {
        add(config["\(role.rawValue)_token_id"], role)
        add(config["text_config"]?["\(role.rawValue)_token_id"], role)
      }
    }
    if let config = try JSONFile.readIfPresent(folder.appending("tokenizer_config.json")) {
      for role in SpecialRole.allCases {
        let value = config["\(role.rawValue)_token"]
        if let content = value?.string ?? value?["content"]?.string, let id = vocabulary.id(of: content) {
          insert(id, role)
        }
      }
    }
  }

  private mutating func add(_ value: JSONValue?, _ role: SpecialRole) {
    if let id = value?.number?.int { insert(id, role) }
    for element in value?.elements ?? [] { if let id = element.number?.int { insert(id, role) } }
  }

  private mutating func insert(_ id: Int, _ role: SpecialRole) {
    guard id >= 0, !(ids[role] ?? []).contains(id) else { return }
    ids[role, default: []].append(id)
  }

  /// The role of `id` (by ``SpecialRole/precedence``), or `nil`.
  package func role(of id: Int) -> SpecialRole? {
    SpecialRole.precedence.first { ids[$0]?.contains(id) == true }
  }

  /// The first id of `role`, or `nil`.
  package func id(of role: SpecialRole) -> Int? { ids[role]?.first }
}

import StrictJSON
import Tokenization

/// Every token of a tokenizer.json, by text (UTF-8 bytes) and by id, with the `added_tokens`
/// entry of the tokens that have one. As in HF `tokenizers`, an added token takes precedence over
/// a model-vocabulary entry with the same text or id.
struct TokenTable: Sendable {
  /// One token.
  struct Entry: Sendable, Equatable {
    var text: String
    var id: Int
    /// The `added_tokens` entry, for added tokens.
    var added: AddedToken?
  }

  /// Entries by UTF-8 bytes of the text.
  private(set) var byText: [[UInt8]: Entry] = [:]
  /// Entries by id.
  private(set) var byID: [Int: Entry] = [:]

  /// Reads the tokens of a parsed tokenizer.json (validated as ``TokenizerVocabulary`` does).
  init(json: JSONValue, path: String) throws(SurgeryError) {
    let vocabulary: TokenizerVocabulary
    do {
      vocabulary = try TokenizerVocabulary(json: json, path: path)
    } catch {
      throw .tokenization(error)
    }
    switch json["model"]?["vocab"] {
    case .object(let members)?:
      for member in members {
        guard let id = member.value.number?.int else { continue }
        let entry = Entry(text: member.key, id: id, added: nil)
        byText[Array(member.key.utf8)] = entry
        if byID[id] == nil { byID[id] = entry }
      }
    case .array(let pieces)?:
      for (id, piece) in pieces.enumerated() {
        guard let text = piece.elements?.first?.string else { continue }
        let entry = Entry(text: text, id: id, added: nil)
        byText[Array(text.utf8)] = entry
        byID[id] = entry
      }
    default:
      break
    }
    for token in vocabulary.addedTokens {
      let entry = Entry(text: token.content, id: token.id, added: token)
      byText[Array(token.content.utf8)] = entry
      byID[token.id] = entry
    }
  }

  /// Reads the tokenizer.json at `path`.
  init(path: String) throws(SurgeryError) {
    try self.init(json: try JSONFile.read(path).value, path: path)
  }
}

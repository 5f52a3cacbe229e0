import StrictJSON
import SystemPackage

/// One entry of a tokenizer.json file's `added_tokens`: a token matched in the text before the
/// model runs, with its matching options.
public struct AddedToken: Sendable, Equatable {
  /// The token's id.
  public var id: Int
  /// The text the token stands for.
  public var content: String
  /// Whether the token only matches as a whole word (no word character on either side).
  public var singleWord: Bool
  /// Whether white space on the token's left is absorbed into it.
  public var lstrip: Bool
  /// Whether white space on the token's right is absorbed into it.
  public var rstrip: Bool
  /// Whether the token is matched against the normalized text (else against the raw text).
  public var normalized: Bool
  /// Whether the token is a special token (`<s>`, `[CLS]`, ...).
  public var special: Bool

  /// Creates an added token; the defaults are those of the HF `tokenizers` library.
  public init(
    id: Int, content: String, singleWord: Bool = false, lstrip: Bool = false,
    rstrip: Bool = false, normalized: Bool = true, special: Bool = false
  ) {
    self.id = id
    self.content = content
    self.singleWord = singleWord
    self.lstrip = lstrip
    self.rstrip = rstrip
    self.normalized = normalized
    self.special = special
  }

  /// The token (id and content).
  public var token: Token { Token(id: id, text: content) }

  /// Two added tokens are equal when all their fields are, comparing contents by UTF-8 bytes.
  public static func == (lhs: AddedToken, rhs: AddedToken) -> Bool {
    lhs.id == rhs.id && lhs.content.utf8.elementsEqual(rhs.content.utf8)
      && lhs.singleWord == rhs.singleWord && lhs.lstrip == rhs.lstrip && lhs.rstrip == rhs.rstrip
      && lhs.normalized == rhs.normalized && lhs.special == rhs.special
  }

  /// Reads one element of `added_tokens` (`context` names it in errors, e.g. "added_tokens[3]").
  init(json: JSONValue, context: String, path: FilePath) throws(TokenizationError) {
    guard json.members != nil else {
      throw .malformed(
        path: path, what: "\(context) must be an object, not \(json.kindDescription)")
    }
    guard let id = json["id"]?.number?.int, (0...Int(UInt32.max)).contains(id) else {
      throw .malformed(path: path, what: "\(context).id must be an integer from 0 to 2^32-1")
    }
    guard let content = json["content"]?.string else {
      throw .malformed(path: path, what: "\(context).content must be a string")
    }
    func flag(_ key: String, _ fallback: Bool) throws(TokenizationError) -> Bool {
      try optionalFlag(json, key, fallback, context: context, path: path)
    }
    self.init(
      id: id, content: content, singleWord: try flag("single_word", false),
      lstrip: try flag("lstrip", false), rstrip: try flag("rstrip", false),
      normalized: try flag("normalized", true), special: try flag("special", false))
  }
}

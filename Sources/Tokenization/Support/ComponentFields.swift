import StrictJSON
import SystemPackage

/// The fields of one tokenizer.json component (a normalizer, a pre-tokenizer, ...), read with
/// errors that name the component (`context`, e.g. "normalizer.normalizers[1]") and the file.
struct ComponentFields {
  let json: JSONValue
  let context: String
  let path: FilePath
  /// The component's `type`.
  let type: String

  /// Checks that `json` is an object with a string `type`.
  init(_ json: JSONValue, context: String, path: FilePath) throws(TokenizationError) {
    guard json.members != nil else {
      throw .malformed(path: path, what: "\(context) must be an object")
    }
    guard let type = json["type"]?.string else {
      throw .malformed(path: path, what: "\(context).type must be a string")
    }
    self.json = json
    self.context = context
    self.path = path
    self.type = type
  }

  /// The Boolean at `key`, or `fallback` when it is missing or null.
  func flag(_ key: String, _ fallback: Bool) throws(TokenizationError) -> Bool {
    try optionalFlag(json, key, fallback, context: context, path: path)
  }
}

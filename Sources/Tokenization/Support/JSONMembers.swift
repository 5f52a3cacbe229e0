import StrictJSON
import SystemPackage

// The one reader of optional members of tokenizer.json objects: missing and `null` give the
// default; any other type is an error naming the member (`context.key`) and the file.

/// Reads an optional string member (`null` or missing gives `nil`).
func optionalString(_ json: JSONValue, _ key: String, context: String, path: FilePath)
  throws(TokenizationError)
  -> String?
{
  guard let value = json[key], !value.isNull else { return nil }
  guard let text = value.string else {
    throw .malformed(path: path, what: "\(context).\(key) must be a string or null")
  }
  return text
}

/// Reads an optional Boolean member (`null` or missing gives `fallback`).
func optionalFlag(_ json: JSONValue, _ key: String, _ fallback: Bool, context: String, path: FilePath)
  throws(TokenizationError) -> Bool
{
  guard let value = json[key], !value.isNull else { return fallback }
  guard let flag = value.bool else {
    throw .malformed(path: path, what: "\(context).\(key) must be a boolean")
  }
  return flag
}

/// Reads the array member `key` of a `Sequence` component, each element by `read` with its
/// context (`context.key[index]`); a missing or non-array member is an error.
func sequenceMember<Component>(
  _ json: JSONValue, _ key: String, context: String, path: FilePath,
  _ read: (JSONValue, String) throws(TokenizationError) -> Component
) throws(TokenizationError) -> [Component] {
  guard let elements = json[key]?.elements else {
    throw .malformed(path: path, what: "\(context).\(key) must be an array")
  }
  var components: [Component] = []
  for (index, element) in elements.enumerated() {
    components.append(try read(element, "\(context).\(key)[\(index)]"))
  }
  return components
}

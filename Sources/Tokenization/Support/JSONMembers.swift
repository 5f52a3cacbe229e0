import StrictJSON

// The one reader of optional members of tokenizer.json objects: missing and `null` give the
// default; any other type is an error naming the member (`context.key`) and the file.

/// Reads an optional string member (`null` or missing gives `nil`).
func optionalString(_ json: JSONValue, _ key: String, context: String, path: String)
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
func optionalFlag(_ json: JSONValue, _ key: String, _ fallback: Bool, context: String, path: String)
  throws(TokenizationError) -> Bool
{
  guard let value = json[key], !value.isNull else { return fallback }
  guard let flag = value.bool else {
    throw .malformed(path: path, what: "\(context).\(key) must be a boolean")
  }
  return flag
}

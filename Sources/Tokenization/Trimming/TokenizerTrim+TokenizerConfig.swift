import StrictJSON
import SystemPackage

extension TokenizerTrim {
  /// The trimmed tokenizer_config.json: the keys of `added_tokens_decoder` (ids) renumbered,
  /// every other byte as it was. A file without `added_tokens_decoder` comes back unchanged.
  ///
  /// - Throws: ``TokenizationError`` when the text is not JSON, or a key of
  ///   `added_tokens_decoder` is not an id the plan keeps (added tokens always are, so such a key
  ///   names a token tokenizer.json does not have).
  /// - Complexity: O(*n*·*k*) in the size of the file and the number of entries.
  public func rewriteTokenizerConfig(_ bytes: [UInt8], path: FilePath) throws(TokenizationError)
    -> [UInt8]
  {
    var document: JSONDocument
    let root: JSONValue
    do throws(JSONError) {
      (document, root) = try JSONDocument.open(bytes)
    } catch {
      throw .invalidJSON(path: path, error)
    }
    guard let decoder = root["added_tokens_decoder"], !decoder.isNull else { return bytes }
    guard let entries = decoder.members else {
      throw .malformed(path: path, what: "added_tokens_decoder must be an object")
    }
    var renames: [(key: String, old: Int, new: Int)] = []
    var seen = Set<Int>()
    for entry in entries {
      guard entry.key.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let old = Int(entry.key),
        seen.insert(old).inserted
      else {
        throw .malformed(
          path: path, what: "added_tokens_decoder key \(JSONWriter.quoted(entry.key)) is not an id, or is repeated")
      }
      guard let new = idMap[old] else {
        throw .malformed(
          path: path,
          what: "added_tokens_decoder names id \(old), which is not a token the trim keeps")
      }
      renames.append((entry.key, old, new))
    }
    // Ascending old ids: a new id is never above its old one, so a key renamed earlier is never
    // taken for one still to rename, and no two keys are ever equal.
    for rename in renames.sorted(by: { $0.old < $1.old }) where rename.key != String(rename.new) {
      document.renameKey(rename.key, to: String(rename.new), inObjectAt: ["added_tokens_decoder"])
    }
    return document.bytes
  }
}

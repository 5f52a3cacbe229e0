import StrictJSON
import SystemPackage
import Tokenization

/// A reserved placeholder token renamed to a new token (`resize --reuse-reserved`).
package struct SlotRename: Sendable, Equatable {
  /// The slot (its token, and where tokenizer.json holds it).
  var slot: ReservedSlots.Slot
  /// The entry of the new token that takes the slot's id.
  var replacement: AddedToken

  /// The new token's text.
  var content: String { replacement.content }

  /// `slot` renamed to `replacement`.
  package init(slot: ReservedSlots.Slot, replacement: AddedToken) {
    self.slot = slot
    self.replacement = replacement
  }
}

extension ModelFileEdits {
  /// Renames reserved slots in a tokenizer.json: the `added_tokens` entry's `content` (and its
  /// `special`/`normalized` flags, set as for a new token) and the `model.vocab` key (or Unigram
  /// piece). Every other byte stays.
  ///
  /// - Returns: the new text, and the records of slots that were only in `model.vocab` (they need
  ///   an `added_tokens` entry so that the new token is matched whole).
  ///
  /// - Parameter parsed: the parsed `bytes`, when the caller has it already (a 10 MB file).
  package static func renameSlots(
    _ renames: [SlotRename], inTokenizerJSON bytes: [UInt8], parsed: JSONValue? = nil, path: FilePath
  ) throws(SurgeryError) -> (bytes: [UInt8], needingEntries: [AddedToken]) {
    var (document, root) = try open(bytes, parsed: parsed, path: path)
    let entries = root["added_tokens"]?.elements ?? []
    var needing: [AddedToken] = []
    for rename in renames {
      if rename.slot.isAddedToken {
        guard
          let index = entries.firstIndex(where: {
            $0["id"]?.number?.int == rename.slot.token.id
              && ($0["content"]?.string?.utf8.elementsEqual(rename.slot.token.text.utf8) ?? false)
          })
        else {
          throw .unexpectedJSON(path: path, reason: "added_tokens has no entry for \(rename.slot.token)")
        }
        let base: [JSONDocument.PathComponent] = ["added_tokens", .index(index)]
        document.replace(base + ["content"], with: .string(rename.content))
        if entries[index]["special"] != nil {
          document.replace(base + ["special"], with: .bool(rename.replacement.special))
        }
        if entries[index]["normalized"] != nil {
          document.replace(base + ["normalized"], with: .bool(rename.replacement.normalized))
        }
      } else {
        needing.append(rename.replacement)
      }
      if rename.slot.isInModelVocabulary {
        switch root["model"]?["vocab"] {
        case .object?:
          guard document.renameKey(rename.slot.token.text, to: rename.content, inObjectAt: ["model", "vocab"]) else {
            throw .unexpectedJSON(path: path, reason: "model.vocab has no key \(rename.slot.token.text)")
          }
        case .array?:
          document.replace(["model", "vocab", .index(rename.slot.token.id), 0], with: .string(rename.content))
        default:
          throw .unexpectedJSON(path: path, reason: "model.vocab is not an object or an array")
        }
      }
    }
    return (document.bytes, needing)
  }

  /// Renames reserved slots in tokenizer_config.json's `added_tokens_decoder`: the `content`,
  /// `special` and `normalized` of the entry keyed by the slot's id.
  ///
  /// - Returns: the new text, and the records of slots that have no entry there.
  package static func renameSlots(_ renames: [SlotRename], inTokenizerConfig bytes: [UInt8], path: FilePath)
    throws(SurgeryError) -> (bytes: [UInt8], needingEntries: [AddedToken])
  {
    var (document, root) = try open(bytes, path: path)
    var needing: [AddedToken] = []
    for rename in renames {
      let key = String(rename.slot.token.id)
      guard let entry = root["added_tokens_decoder"]?[key], entry.members != nil else {
        needing.append(rename.replacement)
        continue
      }
      let base: [JSONDocument.PathComponent] = ["added_tokens_decoder", .key(key)]
      document.replace(base + ["content"], with: .string(rename.content))
      if entry["special"] != nil { document.replace(base + ["special"], with: .bool(rename.replacement.special)) }
      if entry["normalized"] != nil {
        document.replace(base + ["normalized"], with: .bool(rename.replacement.normalized))
      }
    }
    return (document.bytes, needing)
  }

  /// Appends special tokens to tokenizer_config.json's special-tokens list (created when missing).
  static func listSpecialTokens(_ tokens: [AddedToken], inTokenizerConfig bytes: [UInt8], path: FilePath)
    throws(SurgeryError) -> [UInt8]
  {
    var (document, root) = try open(bytes, path: path)
    try appendSpecialTokens(tokens, to: &document, root: root, path: path, createWhenMissing: true)
    return document.bytes
  }
}

extension ModelFileEdits {
  /// Renames reserved slots in a WordPiece `vocab.txt` (one token per line, line *n* is id *n*),
  /// the slow tokenizer's vocabulary beside tokenizer.json. A line is rewritten only when it holds
  /// exactly the slot's old text; every other byte stays.
  ///
  /// - Returns: the new text, or `nil` when some slot's line does not hold its old text (the file
  ///   is then left alone).
  package static func renameSlots(_ renames: [SlotRename], inVocabularyText bytes: [UInt8]) -> [UInt8]? {
    var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    for rename in renames where rename.slot.isInModelVocabulary {
      guard rename.slot.token.id < lines.count, !rename.content.utf8.contains(0x0A) else { return nil }
      var line = lines[rename.slot.token.id]
      let carriageReturn = line.last == 0x0D
      if carriageReturn { line.removeLast() }
      guard line.elementsEqual(rename.slot.token.text.utf8) else { return nil }
      lines[rename.slot.token.id] = Array(rename.content.utf8) + (carriageReturn ? [0x0D] : [])
    }
    return Array(lines.joined(separator: [0x0A]))
  }
}

import StrictJSON
import SystemPackage

extension ModelFileEdits {
  /// Renumbers the token ids of a config.json or generation_config.json: every integer (or list
  /// of integers) under a key that holds token ids (``TokenReferences/holdsTokenIDs(_:)``), at any
  /// depth (`text_config` included), becomes `map(id)`; every other byte stays.
  ///
  /// - Throws: ``SurgeryError/unexpectedJSON(path:reason:)`` when an id has no new id (the
  ///   surgery removed its token).
  static func renumberTokenIDs(inConfig bytes: [UInt8], path: FilePath, map: (Int) -> Int?) throws(SurgeryError)
    -> [UInt8]
  {
    var (document, root) = try open(bytes, path: path)
    var edits: [([JSONDocument.PathComponent], Int)] = []
    func collect(_ value: JSONValue, at path: [JSONDocument.PathComponent]) {
      guard let members = value.members else { return }
      for member in members {
        let here = path + [.key(member.key)]
        if TokenReferences.holdsTokenIDs(member.key) {
          if let id = member.value.number?.int { edits.append((here, id)) }
          for (index, element) in (member.value.elements ?? []).enumerated() {
            if let id = element.number?.int { edits.append((here + [.index(index)], id)) }
          }
        } else {
          collect(member.value, at: here)
        }
      }
    }
    collect(root, at: [])
    for (place, id) in edits {
      guard let new = map(id) else {
        throw .unexpectedJSON(path: path, reason: "names token id \(id), which has no row after the surgery")
      }
      if new != id { document.replace(place, with: .number(JSONNumber(new))) }
    }
    return document.bytes
  }
}

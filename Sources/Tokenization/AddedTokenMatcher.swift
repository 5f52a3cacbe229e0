/// Finds added tokens in a text the way HF's `AddedVocabulary` does: leftmost-longest matches,
/// with the `single_word`, `lstrip` and `rstrip` options.
struct AddedTokenMatcher: Sendable {
  struct Pattern: Sendable {
    var scalars: [Unicode.Scalar]
    /// The id the text is encoded to (the vocabulary's id of its content, else the entry's).
    var id: Int
    var token: AddedToken
  }

  /// Patterns by their first scalar, longest first.
  private let patterns: [Unicode.Scalar: [Pattern]]

  init(_ patterns: [Pattern]) {
    var table: [Unicode.Scalar: [Pattern]] = [:]
    for pattern in patterns where !pattern.scalars.isEmpty {
      table[pattern.scalars[0], default: []].append(pattern)
    }
    for key in table.keys {
      table[key]?.sort { $0.scalars.count > $1.scalars.count }
    }
    self.patterns = table
  }

  var isEmpty: Bool { patterns.isEmpty }

  /// Cuts `text` into added tokens and the text between them (empty pieces dropped).
  func split(_ text: NormalizedText) -> [TextPiece] {
    let scalars = text.scalars
    if patterns.isEmpty || scalars.isEmpty { return scalars.isEmpty ? [] : [TextPiece(text: text)] }
    var result: [TextPiece] = []
    var startOffset = 0
    var position = 0
    while position < scalars.count {
      guard let candidates = patterns[scalars[position]],
        let pattern = candidates.first(where: { matches($0.scalars, in: scalars, at: position) })
      else {
        position += 1
        continue
      }
      var start = position
      var stop = position + pattern.scalars.count
      position = stop
      let token = pattern.token
      if token.singleWord {
        let startSpace = start == 0 || !UnicodeClasses.isWordCharacter(scalars[start - 1])
        let stopSpace = stop == scalars.count || !UnicodeClasses.isWordCharacter(scalars[stop])
        if !startSpace || !stopSpace { continue }
      }
      if token.lstrip {
        var newStart = start
        while newStart > 0 && UnicodeClasses.isWhitespace(scalars[newStart - 1]) { newStart -= 1 }
        start = max(newStart, startOffset)
      }
      if token.rstrip {
        while stop < scalars.count && UnicodeClasses.isWhitespace(scalars[stop]) { stop += 1 }
      }
      if startOffset < start {
        result.append(TextPiece(text: text.slice(startOffset..<start)))
      }
      // The token's string is the text it covers, absorbed white space included (as in HF).
      let covered = text.slice(start..<stop)
      result.append(TextPiece(text: covered, token: Token(id: pattern.id, text: covered.string)))
      startOffset = stop
    }
    if startOffset < scalars.count {
      result.append(TextPiece(text: text.slice(startOffset..<scalars.count)))
    }
    return result
  }

  private func matches(_ needle: [Unicode.Scalar], in scalars: [Unicode.Scalar], at position: Int)
    -> Bool
  {
    guard position + needle.count <= scalars.count else { return false }
    for index in 0..<needle.count where scalars[position + index] != needle[index] { return false }
    return true
  }
}

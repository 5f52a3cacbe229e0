extension JSONDocument {
  /// Adds members at the end of the object at `path`, laid out like its others, without looking
  /// for members of the same names (the caller knows they are new).
  ///
  /// - Returns: `false` when the value at `path` is not an object.
  /// - Complexity: O(*n*) in the length of the text plus the new members, however many there are.
  @discardableResult
  public mutating func append(members: [JSONMember], toObjectAt path: [PathComponent]) -> Bool {
    guard let range = range(of: path), bytes[range.lowerBound] == UInt8(ascii: "{") else {
      return false
    }
    let items = members.map { member in
      { (style: JSONWriter.Style, level: Int) -> String in
        let separator = style == .compact ? ":" : ": "
        return JSONWriter.quoted(member.key) + separator + JSONWriter.string(member.value, style: style, level: level)
      }
    }
    insertIntoContainer(range, items: items)
    return true
  }
}

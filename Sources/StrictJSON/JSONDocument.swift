/// The text of a JSON file, edited in place: a change rewrites only the bytes of the value it
/// touches, so every other key, value, key order, number literal and bit of layout stays as it was.
///
/// New values are laid out like their neighbours (pretty-printed at the container's indentation,
/// or on one line with the separators the container already uses).
public struct JSONDocument: Sendable {
  /// One step of a path from the root to a value.
  public enum PathComponent: Sendable, Hashable, ExpressibleByStringLiteral,
    ExpressibleByIntegerLiteral
  {
    /// The first member of an object with this name (compared as UTF-8 bytes).
    case key(String)
    /// An element of an array.
    case index(Int)

    public init(stringLiteral value: String) { self = .key(value) }
    public init(integerLiteral value: Int) { self = .index(value) }
  }

  /// The current text.
  public internal(set) var bytes: [UInt8] {
    didSet { containerEnds = [:] }
  }

  /// Where the text's large containers end, by the offset of their opening bracket, when the
  /// parse that checked the text noted them (``open(_:)``): a walk skips them in one step. Any
  /// edit empties it.
  package internal(set) var containerEnds: [Int: Int] = [:]

  /// Reads a document, checking that it is valid JSON.
  ///
  /// - Throws: ``JSONError`` when the text is not JSON.
  public init(bytes: [UInt8]) throws(JSONError) {
    _ = try JSONParser.parse(bytes)
    self.bytes = bytes
  }

  /// Reads a document and returns it with its parsed value (one parse for both).
  ///
  /// - Throws: ``JSONError`` when the text is not JSON.
  ///
  /// The parse also notes where the large containers end (a tokenizer.json's vocabulary and
  /// merges), so that finding a value after them, or their own range, does not read them again.
  public static func open(_ bytes: [UInt8]) throws(JSONError) -> (document: JSONDocument, value: JSONValue) {
    let (value, ends) = try JSONParser.parseIndexingContainers(bytes)
    var document = JSONDocument(validBytes: bytes)
    document.containerEnds = ends
    return (document, value)
  }

  /// A document over text the caller has already parsed successfully with ``JSONParser``
  /// (for instance a large tokenizer.json read once for other purposes).
  ///
  /// - Precondition: `bytes` is valid JSON; edits of invalid text give unspecified (but memory-safe) results.
  public init(validBytes bytes: [UInt8]) {
    self.bytes = bytes
  }

  /// The parsed value of the current text.
  public func value() throws(JSONError) -> JSONValue {
    try JSONParser.parse(bytes)
  }

  /// The byte range of the value at `path`, or `nil` when the path leads nowhere.
  ///
  /// - Complexity: O(*n*) in the length of the text.
  public func range(of path: [PathComponent]) -> Range<Int>? {
    var scanner = Scanner(bytes: bytes, containerEnds: containerEnds)
    scanner.skipWhitespace()
    var start = scanner.position
    for component in path {
      guard let next = scanner.locate(component) else { return nil }
      start = next
      scanner.position = next
    }
    scanner.position = start
    scanner.skipValue()
    return start..<scanner.position
  }

  /// Replaces the value at `path`.
  ///
  /// - Returns: `false` when there is no value at `path`.
  @discardableResult
  public mutating func replace(_ path: [PathComponent], with value: JSONValue) -> Bool {
    guard let range = range(of: path) else { return false }
    let layout = Layout(of: bytes, containerStartingAt: enclosingContainerStart(of: range.lowerBound))
    let text = JSONWriter.string(value, style: layout.style, level: layout.level + 1)
    bytes.replaceSubrange(range, with: Array(text.utf8))
    return true
  }

  /// Appends `values` to the array at `path`.
  ///
  /// - Returns: `false` when the value at `path` is not an array.
  @discardableResult
  public mutating func append(_ values: [JSONValue], toArrayAt path: [PathComponent]) -> Bool {
    guard let range = range(of: path), bytes[range.lowerBound] == UInt8(ascii: "[") else {
      return false
    }
    let rendered = values.map { value in
      { (style: JSONWriter.Style, level: Int) in
        JSONWriter.string(value, style: style, level: level)
      }
    }
    insertIntoContainer(range, items: rendered)
    return true
  }

  /// Adds a member at the end of the object at `path`, or replaces the value of the member
  /// of that name when there is one.
  ///
  /// - Returns: `false` when the value at `path` is not an object.
  @discardableResult
  public mutating func set(_ key: String, to value: JSONValue, inObjectAt path: [PathComponent])
    -> Bool
  {
    if range(of: path + [.key(key)]) != nil {
      return replace(path + [.key(key)], with: value)
    }
    guard let range = range(of: path), bytes[range.lowerBound] == UInt8(ascii: "{") else {
      return false
    }
    let item = { (style: JSONWriter.Style, level: Int) -> String in
      let separator = style == .compact ? ":" : ": "
      return JSONWriter.quoted(key) + separator + JSONWriter.string(value, style: style, level: level)
    }
    insertIntoContainer(range, items: [item])
    return true
  }

  /// Inserts rendered items before the closing bracket of the container spanning `range`.
  mutating func insertIntoContainer(
    _ range: Range<Int>, items: [(JSONWriter.Style, Int) -> String]
  ) {
    guard !items.isEmpty else { return }
    let layout = Layout(of: bytes, containerStartingAt: range.lowerBound)
    let close = range.upperBound - 1
    // The end of the last item: skip white space backwards from the closing bracket.
    var end = close
    while end > range.lowerBound + 1, Scanner.isWhitespace(bytes[end - 1]) { end -= 1 }
    let isEmpty = end == range.lowerBound + 1
    var text = ""
    switch layout.style {
    case .pretty(let indent):
      let itemIndent = String(repeating: " ", count: indent * (layout.level + 1))
      for (offset, item) in items.enumerated() {
        if !isEmpty || offset > 0 { text += "," }
        text += "\n" + itemIndent + item(layout.style, layout.level + 1)
      }
      text += "\n" + String(repeating: " ", count: indent * layout.level)
      bytes.replaceSubrange(end..<close, with: Array(text.utf8))
    case .compact, .spaced:
      let separator = layout.style == .compact ? "," : ", "
      for (offset, item) in items.enumerated() {
        if !isEmpty || offset > 0 { text += separator }
        text += item(layout.style, 0)
      }
      bytes.replaceSubrange(end..<end, with: Array(text.utf8))
    }
  }

  /// The offset of the `[` or `{` that directly holds the value starting at `offset`.
  private func enclosingContainerStart(of offset: Int) -> Int? {
    var depth = 0
    var scanner = Scanner(bytes: bytes)
    var stack: [Int] = []
    while scanner.position < offset {
      let byte = bytes[scanner.position]
      switch byte {
      case UInt8(ascii: "\""): scanner.skipString()
      case UInt8(ascii: "["), UInt8(ascii: "{"):
        stack.append(scanner.position)
        depth += 1
        scanner.position += 1
      case UInt8(ascii: "]"), UInt8(ascii: "}"):
        stack.removeLast()
        scanner.position += 1
      default: scanner.position += 1
      }
    }
    return stack.last
  }
}

extension JSONDocument {
  /// How a container is laid out: pretty-printed at a nesting level, or on one line.
  struct Layout {
    var style: JSONWriter.Style
    var level: Int

    init(of bytes: [UInt8], containerStartingAt start: Int?) {
      guard let start else {
        style = .compact
        level = 0
        return
      }
      // Indentation of the line holding the opening bracket.
      var lineStart = start
      while lineStart > 0, bytes[lineStart - 1] != UInt8(ascii: "\n") { lineStart -= 1 }
      var ownIndent = 0
      while lineStart + ownIndent < bytes.count, bytes[lineStart + ownIndent] == UInt8(ascii: " ") {
        ownIndent += 1
      }
      // The white space after the opening bracket tells the style.
      var cursor = start + 1
      var sawNewline = false
      var itemIndent = 0
      while cursor < bytes.count, Scanner.isWhitespace(bytes[cursor]) {
        if bytes[cursor] == UInt8(ascii: "\n") {
          sawNewline = true
          itemIndent = 0
        } else if bytes[cursor] == UInt8(ascii: " ") {
          itemIndent += 1
        }
        cursor += 1
      }
      let isEmpty =
        cursor < bytes.count
        && (bytes[cursor] == UInt8(ascii: "]") || bytes[cursor] == UInt8(ascii: "}"))
      if sawNewline && !isEmpty {
        let unit = max(itemIndent - ownIndent, 1)
        style = .pretty(indent: unit)
        level = ownIndent / unit
      } else if isEmpty {
        // An empty container: follow the document's first indented line, if any.
        let unit = Layout.documentIndentUnit(bytes)
        if let unit {
          style = .pretty(indent: unit)
          level = ownIndent / unit
        } else {
          style = Layout.documentIsSpaced(bytes) ? .spaced : .compact
          level = 0
        }
      } else {
        style = Layout.documentIsSpaced(bytes) ? .spaced : .compact
        level = 0
      }
    }

    static func documentIndentUnit(_ bytes: [UInt8]) -> Int? {
      guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
      var count = 0
      var cursor = newline + 1
      while cursor < bytes.count, bytes[cursor] == UInt8(ascii: " ") {
        count += 1
        cursor += 1
      }
      return count > 0 ? count : nil
    }

    static func documentIsSpaced(_ bytes: [UInt8]) -> Bool {
      var scanner = Scanner(bytes: bytes)
      while scanner.position < bytes.count {
        switch bytes[scanner.position] {
        case UInt8(ascii: "\""): scanner.skipString()
        case UInt8(ascii: ":"), UInt8(ascii: ","):
          return scanner.position + 1 < bytes.count && bytes[scanner.position + 1] == 0x20
        default: scanner.position += 1
        }
      }
      return false
    }
  }

  /// A forgiving scanner over text already known to be valid JSON.
  struct Scanner {
    let bytes: [UInt8]
    var position = 0
    /// The ends of the large containers, by start (``JSONDocument/containerEnds``).
    var containerEnds: [Int: Int] = [:]

    static func isWhitespace(_ byte: UInt8) -> Bool {
      byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    mutating func skipWhitespace() {
      while position < bytes.count, Scanner.isWhitespace(bytes[position]) { position += 1 }
    }

    mutating func skipString() {
      position = bytes.withUnsafeBufferPointer { Self.end(ofStringAt: position, in: $0) }
    }

    /// The offset just past the string whose opening quote is at `start`. A tokenizer.json's
    /// megabytes are mostly strings: they are scanned eight bytes at a time for a quote or a
    /// backslash (see ``matches(_:)``).
    @inline(__always)
    static func end(ofStringAt start: Int, in buffer: UnsafeBufferPointer<UInt8>) -> Int {
      var cursor = start + 1
      while cursor + 8 <= buffer.count {
        let word = Self.word(at: cursor, in: buffer)
        let found = matches(word ^ quotes) | matches(word ^ backslashes)
        if found == 0 {
          cursor += 8
          continue
        }
        cursor += found.trailingZeroBitCount >> 3
        if buffer[cursor] == UInt8(ascii: "\"") { return cursor + 1 }
        cursor += 2
      }
      while cursor < buffer.count {
        let byte = buffer[cursor]
        if byte == UInt8(ascii: "\"") { return cursor + 1 }
        cursor += byte == UInt8(ascii: "\\") ? 2 : 1
      }
      return cursor
    }

    /// The offset just past the container that `depth` brackets opened before `start` close:
    /// scanned eight bytes at a time for a quote or a bracket, strings skipped whole.
    static func end(ofContainerFrom start: Int, depth: Int, in buffer: UnsafeBufferPointer<UInt8>) -> Int {
      var cursor = start
      var depth = depth
      while depth > 0 && cursor + 8 <= buffer.count {
        let word = Self.word(at: cursor, in: buffer)
        // `[` and `]` are `{` and `}` without the bit 0x20: one test for both.
        let folded = word | 0x2020_2020_2020_2020
        let found = matches(word ^ quotes) | matches(folded ^ openBraces) | matches(folded ^ closeBraces)
        if found == 0 {
          cursor += 8
          continue
        }
        cursor += found.trailingZeroBitCount >> 3
        switch buffer[cursor] {
        case UInt8(ascii: "\""):
          cursor = end(ofStringAt: cursor, in: buffer)
          continue
        case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
        default: depth -= 1
        }
        cursor += 1
      }
      while depth > 0, cursor < buffer.count {
        switch buffer[cursor] {
        case UInt8(ascii: "\""):
          cursor = end(ofStringAt: cursor, in: buffer)
          continue
        case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
        case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
        default: break
        }
        cursor += 1
      }
      return cursor
    }

    private static let quotes: UInt64 = 0x2222_2222_2222_2222
    private static let backslashes: UInt64 = 0x5C5C_5C5C_5C5C_5C5C
    private static let openBraces: UInt64 = 0x7B7B_7B7B_7B7B_7B7B
    private static let closeBraces: UInt64 = 0x7D7D_7D7D_7D7D_7D7D

    /// Eight bytes from `offset`, the first in the lowest bits.
    @inline(__always)
    private static func word(at offset: Int, in buffer: UnsafeBufferPointer<UInt8>) -> UInt64 {
      UInt64(littleEndian: UnsafeRawBufferPointer(buffer).loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// The high bit of each zero byte of `word`, exact up to the first zero byte (a borrow may
    /// mark bytes after it): its trailing zeros, divided by 8, give the first zero byte.
    @inline(__always)
    private static func matches(_ word: UInt64) -> UInt64 {
      (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
    }

    mutating func readString() -> [UInt8] {
      let start = position
      skipString()
      let raw = bytes[(start + 1)..<(position - 1)]
      guard raw.contains(UInt8(ascii: "\\")) else { return Array(raw) }
      let decoded = (try? JSONParser.parse(bytes[start..<position]))?.string ?? ""
      return Array(decoded.utf8)
    }

    mutating func skipValue() {
      skipWhitespace()
      guard position < bytes.count else { return }
      switch bytes[position] {
      case UInt8(ascii: "\""): skipString()
      case UInt8(ascii: "["), UInt8(ascii: "{"):
        if let end = containerEnds[position] {
          position = end
          return
        }
        position = bytes.withUnsafeBufferPointer { Self.end(ofContainerFrom: position + 1, depth: 1, in: $0) }
      default:
        while position < bytes.count {
          switch bytes[position] {
          case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x09, 0x0A, 0x0D:
            return
          default: position += 1
          }
        }
      }
    }

    /// Moves into the container at `position` and returns the start of the child named by
    /// `component`, or `nil`.
    mutating func locate(_ component: JSONDocument.PathComponent) -> Int? {
      skipWhitespace()
      guard position < bytes.count else { return nil }
      let open = bytes[position]
      switch (open, component) {
      case (UInt8(ascii: "["), .index(let wanted)):
        position += 1
        var index = 0
        while true {
          skipWhitespace()
          guard position < bytes.count, bytes[position] != UInt8(ascii: "]") else { return nil }
          if index == wanted { return position }
          skipValue()
          skipWhitespace()
          if position < bytes.count, bytes[position] == UInt8(ascii: ",") { position += 1 }
          index += 1
        }
      case (UInt8(ascii: "{"), .key(let wanted)):
        position += 1
        let wantedBytes = Array(wanted.utf8)
        while true {
          skipWhitespace()
          guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return nil }
          let key = readString()
          skipWhitespace()
          position += 1  // ':'
          skipWhitespace()
          if key == wantedBytes { return position }
          skipValue()
          skipWhitespace()
          if position < bytes.count, bytes[position] == UInt8(ascii: ",") { position += 1 }
        }
      default:
        return nil
      }
    }
  }
}

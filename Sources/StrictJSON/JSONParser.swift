/// A strict JSON reader (RFC 8259 as `serde_json` reads it).
///
/// Stricter than Foundation's readers where the safetensors reference is: only space, tab, LF and CR
/// are whitespace; nothing may follow the value but whitespace; strings must be valid UTF-8 without
/// raw control characters or lone surrogate escapes; numbers follow the JSON grammar exactly
/// (no leading zeros, `+`, `.5`, `NaN`). Nesting deeper than ``Options/maximumDepth`` is rejected,
/// and so, when asked, is a name that occurs twice in one object (compared as UTF-8 bytes).
public struct JSONParser {
  /// What the parser accepts beyond the grammar.
  public struct Options: Sendable {
    /// The deepest nesting of arrays and objects accepted; `serde_json`'s limit is 128
    /// (a 128th nested container is rejected).
    public var maximumDepth: Int
    /// Whether an object may hold the same name twice.
    public var allowsDuplicateKeys: Bool

    /// Creates options.
    public init(maximumDepth: Int = 128, allowsDuplicateKeys: Bool = true) {
      self.maximumDepth = maximumDepth
      self.allowsDuplicateKeys = allowsDuplicateKeys
    }
  }

  /// Parses one JSON document.
  ///
  /// - Throws: ``JSONError`` with the byte offset of the first problem.
  /// - Complexity: O(*n*) in the length of the text.
  public static func parse(
    _ bytes: some Collection<UInt8>, options: Options = Options()
  ) throws(JSONError) -> JSONValue {
    func run(_ buffer: UnsafeRawBufferPointer) -> Result<JSONValue, JSONError> {
      do throws(JSONError) {
        return .success(try parse(buffer, options: options))
      } catch {
        return .failure(error)
      }
    }
    if let result = bytes.withContiguousStorageIfAvailable({ run(UnsafeRawBufferPointer($0)) }) {
      return try result.get()
    }
    return try Array(bytes).withUnsafeBytes { run($0) }.get()
  }

  /// Containers from this size on (bytes of text) are indexed by ``parseIndexingContainers(_:)``.
  static let largeContainer = 1 << 16

  /// Parses one JSON document and notes where each of its large containers ends (by the offset of
  /// its opening bracket): what ``JSONDocument`` needs to skip them without reading them again.
  ///
  /// - Throws: ``JSONError`` with the byte offset of the first problem.
  /// - Complexity: O(*n*) in the length of the text.
  static func parseIndexingContainers(_ bytes: [UInt8]) throws(JSONError) -> (value: JSONValue, ends: [Int: Int]) {
    let result = bytes.withUnsafeBytes { buffer -> Result<(JSONValue, [Int: Int]), JSONError> in
      var reader = Reader(bytes: buffer, options: Options())
      reader.containerEnds = [:]
      do throws(JSONError) {
        let value = try reader.parseDocument()
        return .success((value, reader.containerEnds ?? [:]))
      } catch {
        return .failure(error)
      }
    }
    return try result.get()
  }

  /// Parses one JSON document from raw memory (for instance a mapped file).
  ///
  /// - Throws: ``JSONError`` with the byte offset of the first problem.
  /// - Complexity: O(*n*) in the length of the text.
  public static func parse(
    _ buffer: UnsafeRawBufferPointer, options: Options = Options()
  ) throws(JSONError) -> JSONValue {
    var reader = Reader(bytes: buffer, options: options)
    return try reader.parseDocument()
  }
}

/// Why a text is not the JSON the parser accepts, and where.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The kind of problem.
  public enum Reason: Sendable, Equatable {
    case unexpectedEnd
    case unexpectedCharacter(UInt8)
    case trailingCharacters
    case invalidNumber
    case invalidEscape
    case loneSurrogate
    case controlCharacterInString
    case invalidUTF8
    case tooDeep(limit: Int)
    case duplicateKey(String)
  }

  /// The byte offset in the text where the problem was found.
  public let offset: Int
  /// What is wrong.
  public let reason: Reason

  /// Creates an error.
  public init(offset: Int, reason: Reason) {
    self.offset = offset
    self.reason = reason
  }

  public var description: String {
    let what: String
    switch reason {
    case .unexpectedEnd: what = "unexpected end of JSON"
    case .unexpectedCharacter(let byte):
      what =
        (0x21...0x7E).contains(byte)
        ? "unexpected character '\(Character(Unicode.Scalar(byte)))'"
        : "unexpected byte 0x\(String(byte, radix: 16, uppercase: true))"
    case .trailingCharacters: what = "trailing characters after the JSON value"
    case .invalidNumber: what = "invalid number"
    case .invalidEscape: what = "invalid escape in string"
    case .loneSurrogate: what = "lone surrogate in \\u escape"
    case .controlCharacterInString: what = "control character in string"
    case .invalidUTF8: what = "invalid UTF-8 in string"
    case .tooDeep(let limit): what = "nesting deeper than \(limit) levels"
    case .duplicateKey(let key): what = "duplicate key \"\(key)\""
    }
    return "\(what) at byte \(offset)"
  }
}

extension JSONParser {
  fileprivate struct Reader {
    let bytes: UnsafeRawBufferPointer
    let options: Options
    var position = 0
    /// When recording: the end of every container of at least ``largeContainer`` bytes, by start.
    var containerEnds: [Int: Int]?

    init(bytes: UnsafeRawBufferPointer, options: Options) {
      self.bytes = bytes
      self.options = options
    }

    /// The one value of the whole text.
    mutating func parseDocument() throws(JSONError) -> JSONValue {
      skipWhitespace()
      let value = try parseValue(depth: 0)
      skipWhitespace()
      if position != bytes.count {
        throw JSONError(offset: position, reason: .trailingCharacters)
      }
      return value
    }

    /// Records the end of the container that started at `start`, when it is large.
    @inline(__always) mutating func recordContainer(from start: Int) {
      if position - start >= JSONParser.largeContainer { containerEnds?[start] = position }
    }

    @inline(__always) var current: UInt8? {
      position < bytes.count ? bytes[position] : nil
    }

    @inline(__always) mutating func skipWhitespace() {
      while position < bytes.count {
        switch bytes[position] {
        case 0x20, 0x09, 0x0A, 0x0D: position += 1
        default: return
        }
      }
    }

    func unexpected() -> JSONError {
      guard let byte = current else { return JSONError(offset: position, reason: .unexpectedEnd) }
      return JSONError(offset: position, reason: .unexpectedCharacter(byte))
    }

    mutating func expect(_ literal: StaticString, value: JSONValue) throws(JSONError) -> JSONValue {
      let count = literal.utf8CodeUnitCount
      for index in 0..<count {
        guard position < bytes.count else {
          throw JSONError(offset: position, reason: .unexpectedEnd)
        }
        guard bytes[position] == literal.utf8Start[index] else { throw unexpected() }
        position += 1
      }
      return value
    }

    mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
      guard let byte = current else { throw JSONError(offset: position, reason: .unexpectedEnd) }
      switch byte {
      case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
      case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
      case UInt8(ascii: "\""): return .string(try parseString())
      case UInt8(ascii: "t"): return try expect("true", value: .bool(true))
      case UInt8(ascii: "f"): return try expect("false", value: .bool(false))
      case UInt8(ascii: "n"): return try expect("null", value: .null)
      case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
      default: throw unexpected()
      }
    }

    mutating func checkDepth(_ depth: Int) throws(JSONError) {
      if depth >= options.maximumDepth {
        throw JSONError(offset: position, reason: .tooDeep(limit: options.maximumDepth))
      }
    }

    /// Moves past the opening byte of the container at `position` (nested `depth` deep); true
    /// when the container is empty, the scanner then past its `closing` byte.
    mutating func enterContainer(depth: Int, closing: UInt8) throws(JSONError) -> Bool {
      try checkDepth(depth)
      position += 1
      skipWhitespace()
      guard current == closing else { return false }
      position += 1
      return true
    }

    /// After an element or a member: moves past the `,` that follows it (true: another one comes)
    /// or past the container's `closing` byte (false).
    mutating func continueContainer(closing: UInt8) throws(JSONError) -> Bool {
      skipWhitespace()
      switch current {
      case UInt8(ascii: ","):
        position += 1
        return true
      case closing:
        position += 1
        return false
      default: throw unexpected()
      }
    }

    mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
      var elements: [JSONValue] = []
      let start = position
      if try enterContainer(depth: depth, closing: UInt8(ascii: "]")) { return .array(elements) }
      repeat {
        skipWhitespace()
        elements.append(try parseValue(depth: depth))
      } while try continueContainer(closing: UInt8(ascii: "]"))
      recordContainer(from: start)
      return .array(elements)
    }

    mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
      var members: [JSONMember] = []
      var seen: Set<[UInt8]> = []
      let start = position
      if try enterContainer(depth: depth, closing: UInt8(ascii: "}")) { return .object(members) }
      repeat {
        skipWhitespace()
        guard current == UInt8(ascii: "\"") else { throw unexpected() }
        let keyOffset = position
        let key = try parseString()
        if !options.allowsDuplicateKeys, !seen.insert(Array(key.utf8)).inserted {
          throw JSONError(offset: keyOffset, reason: .duplicateKey(key))
        }
        skipWhitespace()
        guard current == UInt8(ascii: ":") else { throw unexpected() }
        position += 1
        skipWhitespace()
        members.append(JSONMember(key, try parseValue(depth: depth)))
      } while try continueContainer(closing: UInt8(ascii: "}"))
      recordContainer(from: start)
      return .object(members)
    }

    mutating func parseNumber() throws(JSONError) -> JSONValue {
      let start = position
      func isDigit(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
      }
      if current == UInt8(ascii: "-") { position += 1 }
      guard isDigit(current) else { throw JSONError(offset: position, reason: .invalidNumber) }
      if current == UInt8(ascii: "0") {
        position += 1
        if isDigit(current) { throw JSONError(offset: position, reason: .invalidNumber) }
      } else {
        while isDigit(current) { position += 1 }
      }
      if current == UInt8(ascii: ".") {
        position += 1
        guard isDigit(current) else { throw JSONError(offset: position, reason: .invalidNumber) }
        while isDigit(current) { position += 1 }
      }
      if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
        position += 1
        if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
        guard isDigit(current) else { throw JSONError(offset: position, reason: .invalidNumber) }
        while isDigit(current) { position += 1 }
      }
      let literal = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
      return .number(JSONNumber(uncheckedLiteral: literal))
    }

    mutating func parseString() throws(JSONError) -> String {
      position += 1  // opening quote
      let start = position
      // Fast path: no escapes.
      while position < bytes.count {
        let byte = bytes[position]
        if byte == UInt8(ascii: "\"") {
          let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
          guard let text = String(validating: slice.bindMemory(to: UInt8.self), as: UTF8.self)
          else { throw JSONError(offset: start, reason: .invalidUTF8) }
          position += 1
          return text
        }
        if byte == UInt8(ascii: "\\") { break }
        if byte < 0x20 { throw JSONError(offset: position, reason: .controlCharacterInString) }
        position += 1
      }
      guard position < bytes.count else { throw JSONError(offset: position, reason: .unexpectedEnd) }
      return try parseEscapedString(from: start)
    }

    /// The slow path of ``parseString()``: the string that started at `start` holds an escape at
    /// ``position``; collects its bytes, decoding escapes, up to the closing quote.
    mutating func parseEscapedString(from start: Int) throws(JSONError) -> String {
      var collected = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
      while true {
        guard position < bytes.count else {
          throw JSONError(offset: position, reason: .unexpectedEnd)
        }
        let byte = bytes[position]
        if byte == UInt8(ascii: "\"") {
          position += 1
          guard let text = String(validating: collected, as: UTF8.self) else {
            throw JSONError(offset: start, reason: .invalidUTF8)
          }
          return text
        }
        if byte < 0x20 { throw JSONError(offset: position, reason: .controlCharacterInString) }
        if byte != UInt8(ascii: "\\") {
          collected.append(byte)
          position += 1
          continue
        }
        position += 1
        guard let escape = current else { throw JSONError(offset: position, reason: .unexpectedEnd) }
        position += 1
        switch escape {
        case UInt8(ascii: "\""): collected.append(0x22)
        case UInt8(ascii: "\\"): collected.append(0x5C)
        case UInt8(ascii: "/"): collected.append(0x2F)
        case UInt8(ascii: "b"): collected.append(0x08)
        case UInt8(ascii: "f"): collected.append(0x0C)
        case UInt8(ascii: "n"): collected.append(0x0A)
        case UInt8(ascii: "r"): collected.append(0x0D)
        case UInt8(ascii: "t"): collected.append(0x09)
        case UInt8(ascii: "u"): collected.append(contentsOf: Character(try parseUnicodeEscape()).utf8)
        default:
          throw JSONError(offset: position - 1, reason: .invalidEscape)
        }
      }
    }

    /// The scalar of a `\uXXXX` escape (``position`` just past its `u`), a surrogate pair's
    /// second half included.
    mutating func parseUnicodeEscape() throws(JSONError) -> Unicode.Scalar {
      let escapeStart = position - 2
      var scalarValue = try parseHex4()
      if (0xDC00...0xDFFF).contains(scalarValue) {
        throw JSONError(offset: escapeStart, reason: .loneSurrogate)
      }
      if (0xD800...0xDBFF).contains(scalarValue) {
        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
          bytes[position + 1] == UInt8(ascii: "u")
        else { throw JSONError(offset: escapeStart, reason: .loneSurrogate) }
        position += 2
        let low = try parseHex4()
        guard (0xDC00...0xDFFF).contains(low) else {
          throw JSONError(offset: escapeStart, reason: .loneSurrogate)
        }
        scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
      }
      guard let scalar = Unicode.Scalar(scalarValue) else {
        throw JSONError(offset: escapeStart, reason: .loneSurrogate)
      }
      return scalar
    }

    mutating func parseHex4() throws(JSONError) -> UInt32 {
      var value: UInt32 = 0
      for _ in 0..<4 {
        guard let byte = current else { throw JSONError(offset: position, reason: .unexpectedEnd) }
        let digit: UInt8
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
        default: throw JSONError(offset: position, reason: .invalidEscape)
        }
        value = value << 4 | UInt32(digit)
        position += 1
      }
      return value
    }
  }
}

/// Writes ``JSONValue``s as `serde_json` and Python's `json.dumps(ensure_ascii=False)` write them.
///
/// Only `"`, `\` and control characters are escaped (`\b \t \n \f \r`, the others as `\u00xx`);
/// everything else, non-ASCII included, is written as UTF-8. Numbers are written as their literals.
public enum JSONWriter {
  /// How much white space separates the parts of a value.
  public enum Style: Sendable, Equatable {
    /// No white space at all: `{"a":[1,2]}`.
    case compact
    /// One line, with a space after each `,` and `:`: `{"a": [1, 2]}` (Python's `json.dumps` default).
    case spaced
    /// One member or element per line, indented by `indent` spaces a level, `"key": value`,
    /// empty containers as `[]` and `{}` (as `json.dumps(indent=2)` and `serde_json`'s pretty writer).
    case pretty(indent: Int)
  }

  /// The text of `value` in the given style.
  ///
  /// - Parameter level: the nesting level the value sits at, for indenting a value that will be
  ///   spliced into a pretty-printed document.
  public static func string(_ value: JSONValue, style: Style = .compact, level: Int = 0) -> String {
    var output: [UInt8] = []
    write(value, style: style, level: level, into: &output)
    return String(decoding: output, as: UTF8.self)
  }

  /// Appends the text of `value` to `output`.
  ///
  /// - Complexity: O(*n*) in the size of the value.
  public static func write(
    _ value: JSONValue, style: Style = .compact, level: Int = 0, into output: inout [UInt8]
  ) {
    switch value {
    case .null: output.append(contentsOf: "null".utf8)
    case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
    case .number(let number): output.append(contentsOf: number.literal.utf8)
    case .string(let text): writeString(text, into: &output)
    case .array(let elements):
      writeContainer(
        open: UInt8(ascii: "["), close: UInt8(ascii: "]"), count: elements.count, style: style,
        level: level, into: &output
      ) { index, output in
        write(elements[index], style: style, level: level + 1, into: &output)
      }
    case .object(let members):
      writeContainer(
        open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), count: members.count, style: style,
        level: level, into: &output
      ) { index, output in
        writeString(members[index].key, into: &output)
        output.append(UInt8(ascii: ":"))
        if style != .compact { output.append(UInt8(ascii: " ")) }
        write(members[index].value, style: style, level: level + 1, into: &output)
      }
    }
  }

  private static func writeContainer(
    open: UInt8, close: UInt8, count: Int, style: Style, level: Int, into output: inout [UInt8],
    element: (Int, inout [UInt8]) -> Void
  ) {
    output.append(open)
    guard count > 0 else {
      output.append(close)
      return
    }
    for index in 0..<count {
      if index > 0 {
        output.append(UInt8(ascii: ","))
        if style == .spaced { output.append(UInt8(ascii: " ")) }
      }
      if case .pretty(let indent) = style {
        output.append(UInt8(ascii: "\n"))
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * (level + 1)))
      }
      element(index, &output)
    }
    if case .pretty(let indent) = style {
      output.append(UInt8(ascii: "\n"))
      output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
    }
    output.append(close)
  }

  /// Appends `text` as a quoted, escaped JSON string: the one string escaper.
  ///
  /// `"`, `\` and control characters are escaped (`\b \t \n \f \r`, the others as `\u00xx`),
  /// as serde_json writes them. With `asciiOnly`, as Python's `json.dumps` (`ensure_ascii`) writes
  /// them, DEL and every non-ASCII character are escaped too, as `\uxxxx` UTF-16 units.
  public static func writeString(_ text: String, asciiOnly: Bool = false, into output: inout [UInt8]) {
    func escape(_ unit: UInt16) {
      output.append(contentsOf: #"\u"#.utf8)
      for shift in stride(from: UInt16(12), through: 0, by: -4) {
        let digit = UInt8(truncatingIfNeeded: (unit >> shift) & 0xF)
        output.append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
      }
    }
    func escapeASCII(_ byte: UInt8) -> Bool {
      switch byte {
      case 0x22: output.append(contentsOf: #"\""#.utf8)
      case 0x5C: output.append(contentsOf: #"\\"#.utf8)
      case 0x08: output.append(contentsOf: #"\b"#.utf8)
      case 0x09: output.append(contentsOf: #"\t"#.utf8)
      case 0x0A: output.append(contentsOf: #"\n"#.utf8)
      case 0x0C: output.append(contentsOf: #"\f"#.utf8)
      case 0x0D: output.append(contentsOf: #"\r"#.utf8)
      case 0x00..<0x20: escape(UInt16(byte))
      default: return false
      }
      return true
    }
    output.append(UInt8(ascii: "\""))
    if asciiOnly {
      for scalar in text.unicodeScalars {
        if scalar.value < 0x7F {
          if !escapeASCII(UInt8(scalar.value)) { output.append(UInt8(scalar.value)) }
        } else {
          for unit in String(scalar).utf16 { escape(unit) }
        }
      }
    } else {
      for byte in text.utf8 where !escapeASCII(byte) { output.append(byte) }
    }
    output.append(UInt8(ascii: "\""))
  }

  /// `text` as a quoted, escaped JSON string.
  public static func quoted(_ text: String) -> String {
    var output: [UInt8] = []
    writeString(text, into: &output)
    return String(decoding: output, as: UTF8.self)
  }
}

/// A JSON value that keeps what a reader needs to reproduce the source faithfully:
/// object members in their source order (duplicates included, when the parser allows them)
/// and numbers as their literal text.
public enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  case number(JSONNumber)
  case string(String)
  case array([JSONValue])
  case object([JSONMember])

  /// The value of the first member named `key`, comparing names by their UTF-8 bytes.
  ///
  /// - Complexity: O(*n*) in the number of members.
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.key.utf8.elementsEqual(key.utf8) }?.value
  }

  /// The members of an object, or `nil` for any other value.
  public var members: [JSONMember]? {
    if case .object(let members) = self { return members }
    return nil
  }

  /// The elements of an array, or `nil` for any other value.
  public var elements: [JSONValue]? {
    if case .array(let elements) = self { return elements }
    return nil
  }

  /// The text of a string, or `nil` for any other value.
  public var string: String? {
    if case .string(let text) = self { return text }
    return nil
  }

  /// The value of a Boolean, or `nil` for any other value.
  public var bool: Bool? {
    if case .bool(let value) = self { return value }
    return nil
  }

  /// The literal of a number, or `nil` for any other value.
  public var number: JSONNumber? {
    if case .number(let value) = self { return value }
    return nil
  }

  /// Whether the value is `null`.
  public var isNull: Bool {
    if case .null = self { return true }
    return false
  }

  /// A short English name of the value's kind, for error messages ("an object", "a string").
  public var kindDescription: String {
    switch self {
    case .null: "null"
    case .bool: "a boolean"
    case .number: "a number"
    case .string: "a string"
    case .array: "an array"
    case .object: "an object"
    }
  }
}

/// One `"key": value` pair of a JSON object.
public struct JSONMember: Sendable, Equatable {
  /// The member's name.
  public var key: String
  /// The member's value.
  public var value: JSONValue

  /// Creates a member.
  public init(_ key: String, _ value: JSONValue) {
    self.key = key
    self.value = value
  }

  /// Members are equal when their names have the same UTF-8 bytes and their values are equal.
  public static func == (lhs: JSONMember, rhs: JSONMember) -> Bool {
    lhs.key.utf8.elementsEqual(rhs.key.utf8) && lhs.value == rhs.value
  }
}

/// A JSON number kept as the literal text of the source, so that writing it back is exact.
public struct JSONNumber: Sendable, Equatable, CustomStringConvertible {
  /// The literal, as it appeared in the source (always valid JSON number syntax).
  public let literal: String

  /// Wraps a literal that the parser has already checked.
  init(uncheckedLiteral literal: String) {
    self.literal = literal
  }

  /// A number from an unsigned integer.
  public init(_ value: UInt64) { literal = String(value) }

  /// A number from a signed integer.
  public init(_ value: Int) { literal = String(value) }

  /// The value when the literal is a plain unsigned integer that fits in 64 bits
  /// (no sign, fraction or exponent), else `nil`.
  public var uint64: UInt64? {
    guard !literal.isEmpty, literal.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
      return nil
    }
    return UInt64(literal)
  }

  /// The value when the literal is an integer (optionally negative) that fits in `Int`, else `nil`.
  ///
  /// - Complexity: O(*n*) in the literal's length, one pass over its bytes (a tokenizer.json's
  ///   vocabulary reads a hundred thousand of them).
  public var int: Int? {
    literal.utf8.withContiguousStorageIfAvailable(Self.integer(in:))
      ?? Array(literal.utf8).withUnsafeBufferPointer(
        Self.integer(in:))
  }

  /// The integer `bytes` spell (an optional `-`, then digits), when it fits in `Int`.
  private static func integer(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    let negative = bytes.first == UInt8(ascii: "-")
    let digits = UnsafeBufferPointer(rebasing: bytes[(negative ? 1 : 0)...])
    guard !digits.isEmpty else { return nil }
    // Up to 18 digits cannot overflow: no check but the digits' (a vocabulary's ids).
    if digits.count <= 18 {
      var value = 0
      for byte in digits {
        let digit = byte &- 0x30
        guard digit < 10 else { return nil }
        value = value &* 10 &+ Int(digit)
      }
      return negative ? -value : value
    }
    // Accumulated below zero, where Int.min fits.
    var value = 0
    for byte in digits {
      guard byte >= 0x30 && byte <= 0x39 else { return nil }
      let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
      let (next, borrow) = times10.subtractingReportingOverflow(Int(byte &- 0x30))
      guard !overflow, !borrow else { return nil }
      value = next
    }
    if negative { return value }
    return value == .min ? nil : -value
  }

  /// The value as a double (the nearest one, as any JSON reader would give).
  public var double: Double? { Double(literal) }

  public var description: String { literal }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
  ExpressibleByIntegerLiteral, ExpressibleByNilLiteral
{
  public init(stringLiteral value: String) { self = .string(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
  public init(nilLiteral: ()) { self = .null }
}

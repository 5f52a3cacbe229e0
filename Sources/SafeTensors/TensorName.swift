/// A tensor's name, identified by its raw UTF-8 bytes.
///
/// Swift's `String ==` treats canonically equivalent strings as equal (`é` and `e` + U+0301);
/// safetensors files do not, so neither does this type: equality, hashing and ordering all use
/// the bytes, ordering being lexicographic on them (as Rust's `String` ordering).
public struct TensorName: Hashable, Comparable, Sendable, CustomStringConvertible,
  ExpressibleByStringLiteral
{
  /// The name's UTF-8 bytes: its identity.
  public let utf8: [UInt8]

  /// The name with the UTF-8 bytes of `string`.
  public init(_ string: String) { utf8 = Array(string.utf8) }

  /// The name with these bytes (they should be valid UTF-8; invalid bytes print as U+FFFD).
  public init(utf8: [UInt8]) { self.utf8 = utf8 }

  public init(stringLiteral value: String) { self.init(value) }

  /// The name as a string.
  public var string: String { String(decoding: utf8, as: UTF8.self) }

  public var description: String { string }

  /// Byte-wise lexicographic order.
  public static func < (lhs: TensorName, rhs: TensorName) -> Bool {
    lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
  }
}

/// Encodes `Encodable` values as ``JSONValue``s, without Foundation: the one encoder of the
/// reports.
///
/// - Object members come out in the order they are encoded: for a synthesized `encode(to:)`, the
///   order of the type's `CodingKeys` declaration. Encoding into the same encoder's keyed container
///   twice adds to the same object (a key encoded again replaces its value in place), so a wrapper
///   can put its members before a value's own (``JSONValueEncoder/encode(_:leading:)``).
/// - `encodeIfPresent` of `nil` writes `null`: optional members are `null`, never absent.
/// - Integers are written exactly; a `Double` or `Float` as its shortest round-trip text (`0.5`,
///   `1e-05`, `3.0`); NaN and the infinities, which JSON cannot hold, as `null`.
///
/// ```swift
/// let value = try JSONValueEncoder.encode(report)
/// print(JSONWriter.string(value))
/// ```
public enum JSONValueEncoder {
  /// The JSON of `value`.
  ///
  /// - Throws: what `value`'s `encode(to:)` throws (the encoder itself never fails).
  /// - Complexity: O(*n*) in the size of the result.
  public static func encode<Value: Encodable>(_ value: Value) throws -> JSONValue {
    let node = EncodingNode()
    try value.encode(to: NodeEncoder(node: node, codingPath: []))
    return node.value
  }

  /// The JSON object of `value` with the members `leading` before its own (`value` must encode
  /// as an object: a keyed container).
  ///
  /// - Throws: what `value`'s `encode(to:)` throws.
  public static func encode<Value: Encodable>(_ value: Value, leading: [JSONMember]) throws -> JSONValue {
    let node = EncodingNode()
    node.members = leading.map { ($0.key, EncodingNode(scalar: $0.value)) }
    try value.encode(to: NodeEncoder(node: node, codingPath: []))
    return node.value
  }
}

/// A coding key made of any string or integer: for members whose names are data (a metadata
/// map), and for a container's keys that a type builds at run time.
public struct JSONCodingKey: CodingKey, Sendable, Equatable {
  public var stringValue: String
  public var intValue: Int?

  /// A key named `stringValue`.
  public init(stringValue: String) {
    self.stringValue = stringValue
    intValue = nil
  }

  /// A key for the position `intValue`.
  public init(intValue: Int) {
    stringValue = String(intValue)
    self.intValue = intValue
  }
}

/// A value being encoded: a scalar, an object (members in encoding order) or an array. Nested
/// containers hand out their child nodes, which are filled after the parent has them.
final class EncodingNode {
  var scalar: JSONValue?
  var members: [(key: String, node: EncodingNode)]?
  var elements: [EncodingNode]?

  init(scalar: JSONValue? = nil) { self.scalar = scalar }

  /// The node as a value (`null` when nothing was encoded into it).
  var value: JSONValue {
    if let members { return .object(members.map { JSONMember($0.key, $0.node.value) }) }
    if let elements { return .array(elements.map(\.value)) }
    return scalar ?? .null
  }

  /// The member `key`'s node: the existing one emptied when `key` was encoded before, else a new
  /// one at the end.
  func member(_ key: String) -> EncodingNode {
    if members == nil { members = [] }
    let child = EncodingNode()
    if let index = members?.firstIndex(where: { $0.key.utf8.elementsEqual(key.utf8) }) {
      members?[index].node = child
    } else {
      members?.append((key, child))
    }
    return child
  }

  /// A new element's node at the end.
  func appendElement() -> EncodingNode {
    let child = EncodingNode()
    if elements == nil { elements = [] }
    elements?.append(child)
    return child
  }

  /// The JSON of a primitive, when `value` is one the encoder writes itself.
  static func primitive(_ value: some Encodable) -> JSONValue? {
    switch value {
    case let value as String: .string(value)
    case let value as Bool: .bool(value)
    case let value as Int: .number(JSONNumber(value))
    case let value as Int8: .number(JSONNumber(Int(value)))
    case let value as Int16: .number(JSONNumber(Int(value)))
    case let value as Int32: .number(JSONNumber(Int(value)))
    case let value as Int64: .number(JSONNumber(Int(value)))
    case let value as UInt: .number(JSONNumber(UInt64(value)))
    case let value as UInt8: .number(JSONNumber(UInt64(value)))
    case let value as UInt16: .number(JSONNumber(UInt64(value)))
    case let value as UInt32: .number(JSONNumber(UInt64(value)))
    case let value as UInt64: .number(JSONNumber(value))
    case let value as Double: JSONNumber(value).map(JSONValue.number) ?? .null
    case let value as Float:
      value.isFinite ? .number(JSONNumber(uncheckedLiteral: value == 0 ? "0.0" : value.description)) : .null
    default: nil
    }
  }

  /// Encodes `value` into this node.
  func encode(_ value: some Encodable, codingPath: [any CodingKey]) throws {
    if let primitive = EncodingNode.primitive(value) {
      scalar = primitive
    } else {
      try value.encode(to: NodeEncoder(node: self, codingPath: codingPath))
    }
  }
}

/// The `Encoder` that fills an ``EncodingNode``.
struct NodeEncoder: Encoder {
  let node: EncodingNode
  let codingPath: [any CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
    if node.members == nil { node.members = [] }
    return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, codingPath: codingPath))
  }

  func unkeyedContainer() -> any UnkeyedEncodingContainer {
    if node.elements == nil { node.elements = [] }
    return UnkeyedNodeContainer(node: node, codingPath: codingPath)
  }

  func singleValueContainer() -> any SingleValueEncodingContainer {
    SingleValueNodeContainer(node: node, codingPath: codingPath)
  }
}

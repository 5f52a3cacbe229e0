/// The keyed container of ``NodeEncoder``: an object's members, in encoding order; `nil` optionals
/// are written as `null`.
struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
  let node: EncodingNode
  let codingPath: [any CodingKey]

  private func encode(_ value: some Encodable, _ key: Key) throws {
    try node.member(key.stringValue).encode(value, codingPath: codingPath + [key])
  }

  private func encodeOptional(_ value: (some Encodable)?, _ key: Key) throws {
    if let value { try encode(value, key) } else { node.member(key.stringValue).scalar = .null }
  }

  mutating func encodeNil(forKey key: Key) throws { node.member(key.stringValue).scalar = .null }
  mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try encode(value, key) }
  mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { try encodeOptional(value, key) }
  mutating func encode(_ value: Bool, forKey key: Key) throws { try encode(value, key) }
  mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeOptional(value, key) }
  mutating func encode(_ value: String, forKey key: Key) throws { try encode(value, key) }
  mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeOptional(value, key) }
  mutating func encode(_ value: Double, forKey key: Key) throws { try encode(value, key) }
  mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeOptional(value, key) }
  mutating func encode(_ value: Float, forKey key: Key) throws { try encode(value, key) }
  mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try encodeOptional(value, key) }
  mutating func encode(_ value: Int, forKey key: Key) throws { try encode(value, key) }
  mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeOptional(value, key) }
  mutating func encode(_ value: Int8, forKey key: Key) throws { try encode(value, key) }
  mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try encodeOptional(value, key) }
  mutating func encode(_ value: Int16, forKey key: Key) throws { try encode(value, key) }
  mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try encodeOptional(value, key) }
  mutating func encode(_ value: Int32, forKey key: Key) throws { try encode(value, key) }
  mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try encodeOptional(value, key) }
  mutating func encode(_ value: Int64, forKey key: Key) throws { try encode(value, key) }
  mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodeOptional(value, key) }
  mutating func encode(_ value: UInt, forKey key: Key) throws { try encode(value, key) }
  mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try encodeOptional(value, key) }
  mutating func encode(_ value: UInt8, forKey key: Key) throws { try encode(value, key) }
  mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try encodeOptional(value, key) }
  mutating func encode(_ value: UInt16, forKey key: Key) throws { try encode(value, key) }
  mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try encodeOptional(value, key) }
  mutating func encode(_ value: UInt32, forKey key: Key) throws { try encode(value, key) }
  mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try encodeOptional(value, key) }
  mutating func encode(_ value: UInt64, forKey key: Key) throws { try encode(value, key) }
  mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try encodeOptional(value, key) }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
    -> KeyedEncodingContainer<NestedKey>
  {
    NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
  }

  mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
    NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
  }

  mutating func superEncoder() -> any Encoder {
    NodeEncoder(node: node.member("super"), codingPath: codingPath + [JSONCodingKey(stringValue: "super")])
  }

  mutating func superEncoder(forKey key: Key) -> any Encoder {
    NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key])
  }
}

/// The unkeyed container of ``NodeEncoder``: an array's elements.
struct UnkeyedNodeContainer: UnkeyedEncodingContainer, StoringContainer {
  let node: EncodingNode
  let codingPath: [any CodingKey]
  var count: Int { node.elements?.count ?? 0 }

  /// Appends `value` as the next element.
  func store(_ value: some Encodable) throws {
    let key = JSONCodingKey(intValue: count)
    try node.appendElement().encode(value, codingPath: codingPath + [key])
  }

  mutating func encodeNil() throws { node.appendElement().scalar = .null }
  mutating func encode<T: Encodable>(_ value: T) throws { try store(value) }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
    -> KeyedEncodingContainer<NestedKey>
  {
    let key = JSONCodingKey(intValue: count)
    return NodeEncoder(node: node.appendElement(), codingPath: codingPath + [key]).container(keyedBy: keyType)
  }

  mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
    let key = JSONCodingKey(intValue: count)
    return NodeEncoder(node: node.appendElement(), codingPath: codingPath + [key]).unkeyedContainer()
  }

  mutating func superEncoder() -> any Encoder {
    let key = JSONCodingKey(intValue: count)
    return NodeEncoder(node: node.appendElement(), codingPath: codingPath + [key])
  }
}

/// The single-value container of ``NodeEncoder``.
struct SingleValueNodeContainer: SingleValueEncodingContainer, StoringContainer {
  let node: EncodingNode
  let codingPath: [any CodingKey]

  /// Sets the value.
  func store(_ value: some Encodable) throws { try node.encode(value, codingPath: codingPath) }

  mutating func encodeNil() throws { node.scalar = .null }
  mutating func encode<T: Encodable>(_ value: T) throws { try store(value) }
}

/// A container that stores a value of every primitive type as it stores any `Encodable` one: the
/// primitive `encode` overloads that `UnkeyedEncodingContainer` and `SingleValueEncodingContainer`
/// require, written once over ``store(_:)``.
protocol StoringContainer {
  /// Stores `value` (the next element, or the single value).
  func store(_ value: some Encodable) throws
}

extension StoringContainer {
  mutating func encode(_ value: Bool) throws { try store(value) }
  mutating func encode(_ value: String) throws { try store(value) }
  mutating func encode(_ value: Double) throws { try store(value) }
  mutating func encode(_ value: Float) throws { try store(value) }
  mutating func encode(_ value: Int) throws { try store(value) }
  mutating func encode(_ value: Int8) throws { try store(value) }
  mutating func encode(_ value: Int16) throws { try store(value) }
  mutating func encode(_ value: Int32) throws { try store(value) }
  mutating func encode(_ value: Int64) throws { try store(value) }
  mutating func encode(_ value: UInt) throws { try store(value) }
  mutating func encode(_ value: UInt8) throws { try store(value) }
  mutating func encode(_ value: UInt16) throws { try store(value) }
  mutating func encode(_ value: UInt32) throws { try store(value) }
  mutating func encode(_ value: UInt64) throws { try store(value) }
}

/// The protobuf wire format, as far as rewriting a SentencePiece model needs: reading the fields
/// of a message as byte ranges (so that untouched fields are copied byte for byte) and writing
/// varints, tags and length-delimited records.
package enum ProtobufWire {
  /// How a field's value is encoded.
  package enum WireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5
  }

  /// One field of a message, where it stands in the bytes.
  package struct Field: Sendable {
    /// The field number.
    package var number: Int
    package var wireType: WireType
    /// The whole record: tag, length (if any) and value.
    package var record: Range<Int>
    /// The value: the contents of a length-delimited field, the bytes of the others.
    package var payload: Range<Int>
    /// The value of a varint field.
    package var varint: UInt64
  }

  /// Why bytes are not a protobuf message.
  package struct Problem: Error, Sendable {
    package var reason: String
  }

  /// The fields of the message in `bytes[range]`, in order.
  ///
  /// - Throws: ``Problem`` for a truncated field, an over-long varint, a group (wire types 3
  ///   and 4, which no SentencePiece model uses) or an unknown wire type.
  /// - Complexity: O(*n*) in the size of the range.
  package static func fields(of bytes: [UInt8], in range: Range<Int>) throws(Problem) -> [Field] {
    var fields: [Field] = []
    var position = range.lowerBound
    while position < range.upperBound {
      let start = position
      let key = try varint(bytes, &position, end: range.upperBound)
      let number = key >> 3
      guard number > 0, number <= 0x1FFF_FFFF else {
        throw Problem(reason: "field number \(number) at byte \(start)")
      }
      guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
        throw Problem(reason: "unsupported wire type \(key & 7) at byte \(start)")
      }
      var value: UInt64 = 0
      let payload: Range<Int>
      switch wireType {
      case .varint:
        let valueStart = position
        value = try varint(bytes, &position, end: range.upperBound)
        payload = valueStart..<position
      case .fixed64, .fixed32:
        let width = wireType == .fixed64 ? 8 : 4
        guard range.upperBound - position >= width else {
          throw Problem(reason: "truncated field \(number) at byte \(start)")
        }
        payload = position..<(position + width)
        position += width
      case .lengthDelimited:
        let length = try varint(bytes, &position, end: range.upperBound)
        guard length <= UInt64(range.upperBound - position) else {
          throw Problem(reason: "field \(number) at byte \(start) is longer than its message")
        }
        payload = position..<(position + Int(length))
        position += Int(length)
      }
      fields.append(
        Field(
          number: Int(number), wireType: wireType, record: start..<position, payload: payload,
          varint: value))
    }
    return fields
  }

  /// Reads a varint at `position` and moves past it.
  private static func varint(_ bytes: [UInt8], _ position: inout Int, end: Int) throws(Problem)
    -> UInt64
  {
    var value: UInt64 = 0
    var shift: UInt64 = 0
    let start = position
    while true {
      guard position < end else { throw Problem(reason: "truncated varint at byte \(start)") }
      let byte = bytes[position]
      position += 1
      guard shift < 64, shift < 63 || byte <= 1 else {
        throw Problem(reason: "varint longer than 64 bits at byte \(start)")
      }
      value |= UInt64(byte & 0x7F) << shift
      if byte < 0x80 { return value }
      shift += 7
    }
  }

  /// Appends `value` as a varint.
  static func appendVarint(_ value: UInt64, to output: inout [UInt8]) {
    var value = value
    while value >= 0x80 {
      output.append(UInt8(value & 0x7F) | 0x80)
      value >>= 7
    }
    output.append(UInt8(value))
  }

  /// Appends a varint field (an `int32` is sign-extended to 64 bits, as protobuf writes it).
  package static func appendVarintField(_ number: Int, _ value: UInt64, to output: inout [UInt8]) {
    appendVarint(UInt64(number) << 3 | UInt64(WireType.varint.rawValue), to: &output)
    appendVarint(value, to: &output)
  }

  /// Appends a length-delimited field.
  package static func appendLengthDelimited(_ number: Int, _ contents: [UInt8], to output: inout [UInt8]) {
    appendVarint(UInt64(number) << 3 | UInt64(WireType.lengthDelimited.rawValue), to: &output)
    appendVarint(UInt64(contents.count), to: &output)
    output.append(contentsOf: contents)
  }
}

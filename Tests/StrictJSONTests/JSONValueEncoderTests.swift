import StrictJSON
import Testing

/// The reports' encoder: keys in `CodingKeys` order, optionals as null, numbers exact.
@Suite struct JSONValueEncoderTests {
  struct Inner: Encodable, Equatable {
    var b: Int
    var a: String?
  }

  struct Outer: Encodable {
    var zulu = 1
    var alpha: [Inner] = [Inner(b: 2, a: nil), Inner(b: 3, a: "x")]
    var real = 0.1
    var infinite = Double.infinity
    var big = UInt64.max
    var nothing: Int? = nil
    var map: [String: Int] = ["k": 1]
    var flag = true

    enum CodingKeys: String, CodingKey {
      case zulu, alpha, real, infinite, big, nothing, map, flag
    }
  }

  @Test func keysComeInDeclarationOrderAndNilIsNull() throws {
    let value = try JSONValueEncoder.encode(Outer())
    #expect(
      JSONWriter.string(value)
        == #"{"zulu":1,"alpha":[{"b":2,"a":null},{"b":3,"a":"x"}],"real":0.1,"infinite":null,"big":18446744073709551615,"nothing":null,"map":{"k":1},"flag":true}"#
    )
  }

  @Test func leadingMembersComeFirst() throws {
    let value = try JSONValueEncoder.encode(Inner(b: 1, a: "q"), leading: [JSONMember("schema_version", 1)])
    #expect(JSONWriter.string(value) == #"{"schema_version":1,"b":1,"a":"q"}"#)
  }

  @Test func scalarsAndArraysAtTheTop() throws {
    #expect(try JSONValueEncoder.encode([1, 2]) == .array([1, 2]))
    #expect(try JSONValueEncoder.encode("a\"b") == .string("a\"b"))
    #expect(try JSONValueEncoder.encode(Float(0.5)) == .number(try #require(JSONNumber(0.5))))
    #expect(try JSONValueEncoder.encode(Int?.none) == .null)
  }
}

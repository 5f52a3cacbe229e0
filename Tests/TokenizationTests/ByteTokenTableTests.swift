import Testing
import Tokenization

@Test func byteTokenTableFindsShortAndLongKeysByBytes() {
  var table = ByteTokenTable(capacity: 2)  // grows several times
  let keys = (0..<5000).map { index in
    index % 3 == 0 ? "token-\(index)-with-a-key-longer-than-sixteen-bytes" : "t\(index)"
  }
  for (index, key) in keys.enumerated() { table.insert(key, id: index) }
  #expect(table.count == keys.count)
  for (index, key) in keys.enumerated() { #expect(table.id(of: key) == index) }
  #expect(table.id(of: "t1x") == nil)
  #expect(table.id(of: "") == nil)
  table.insert("t1", id: 99)  // a later id replaces the earlier one
  #expect(table.id(of: "t1") == 99)
  #expect(table.count == keys.count)
  table.insert("\u{e9}", id: 1)
  #expect(table.id(of: "e\u{301}") == nil)  // bytes, not canonical equivalence
  table.insert("", id: 7)
  #expect(table.id(of: "") == 7)
}

/// A dictionary key that compares and hashes a string by its UTF-8 bytes.
///
/// Swift's `String` equality is canonical equivalence (`"é"` equals `"e\u{301}"`), but token
/// vocabularies distinguish the two, as the HF library does.
struct TokenKey: Hashable, Sendable {
  /// The token text.
  let text: String

  init(_ text: String) { self.text = text }

  static func == (lhs: TokenKey, rhs: TokenKey) -> Bool {
    lhs.text.utf8.elementsEqual(rhs.text.utf8)
  }

  func hash(into hasher: inout Hasher) {
    let done: Void? = text.utf8.withContiguousStorageIfAvailable {
      hasher.combine(bytes: UnsafeRawBufferPointer($0))
    }
    if done == nil {
      var copy = text
      copy.makeContiguousUTF8()
      copy.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
  }
}

/// A dictionary key that compares and hashes a string by its UTF-8 bytes.
///
/// Swift's `String` equality is canonical equivalence (`"é"` equals `"e\u{301}"`), but token
/// vocabularies distinguish the two, as the HF library does.
struct TokenKey: Hashable, Sendable {
  /// The token text.
  let text: String

  init(_ text: String) { self.text = text }

  static func == (lhs: TokenKey, rhs: TokenKey) -> Bool {
    let left = lhs.text.utf8
    let right = rhs.text.utf8
    guard left.count == right.count else { return false }
    let fast: Bool?? = left.withContiguousStorageIfAvailable { leftBytes in
      right.withContiguousStorageIfAvailable { rightBytes in
        leftBytes.elementsEqual(rightBytes)
      }
    }
    if let fast, let fast { return fast }
    return left.elementsEqual(right)
  }

  func hash(into hasher: inout Hasher) {
    let done: Void? = text.utf8.withContiguousStorageIfAvailable {
      hasher.combine(bytes: UnsafeRawBufferPointer($0))
    }
    if done == nil {
      Array(text.utf8).withUnsafeBytes { hasher.combine(bytes: $0) }
    }
  }
}

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
        bytesEqual(UnsafeRawBufferPointer(leftBytes), UnsafeRawBufferPointer(rightBytes))
      }
    }
    if let fast, let fast { return fast }
    return left.elementsEqual(right)
  }

  /// Whether two buffers of the same length hold the same bytes, compared eight at a time (the
  /// generic `elementsEqual` goes a byte at a time; dictionary lookups of words spend their time
  /// here).
  private static func bytesEqual(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer) -> Bool {
    var offset = 0
    while offset + 8 <= left.count {
      if left.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        != right.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
      {
        return false
      }
      offset += 8
    }
    while offset < left.count {
      if left[offset] != right[offset] { return false }
      offset += 1
    }
    return true
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

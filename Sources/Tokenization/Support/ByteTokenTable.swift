/// Token ids keyed by UTF-8 bytes, for building and using BPE merge tables quickly.
///
/// Open addressing over 32-byte slots that hold the key's hash, length and id and, for keys of
/// up to 16 bytes (nearly all tokens), the key itself, so that a look-up usually reads one slot;
/// longer keys live in a byte arena. Looking up a slice of a buffer allocates nothing. The hash is
/// not randomized: the keys come from a local file.
package struct ByteTokenTable: Sendable {
  private struct Slot {
    /// 0 for an empty slot; else the hash's high 32 bits, the key's length (16 bits) and 1.
    var tag: UInt64 = 0
    var id: Int = 0
    /// The key's first 16 bytes, zero-padded (for longer keys: the start in the arena, and 0).
    var low: UInt64 = 0
    var high: UInt64 = 0
  }

  private var slots: [Slot]
  private var mask: Int
  private var arena: [UInt8] = []
  package private(set) var count = 0

  /// An empty table for about `capacity` keys.
  package init(capacity: Int) {
    var size = 16
    while size < capacity * 2 { size <<= 1 }
    slots = [Slot](repeating: Slot(), count: size)
    mask = size - 1
  }

  private static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in key {
      hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }
    hash ^= hash >> 29
    hash &*= 0xbf58_476d_1ce4_e5b9
    hash ^= hash >> 32
    return hash
  }

  private static func tag(hash: UInt64, length: Int) -> UInt64 {
    (hash & 0xFFFF_FFFF_0000_0000) | UInt64(length & 0xFFFF) << 1 | 1
  }

  /// The first 16 bytes of a key, zero-padded, as two words.
  private static func words(_ key: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
    var low: UInt64 = 0
    var high: UInt64 = 0
    for index in 0..<min(key.count, 16) {
      if index < 8 {
        low |= UInt64(key[index]) << (8 * UInt64(index))
      } else {
        high |= UInt64(key[index]) << (8 * UInt64(index - 8))
      }
    }
    return (low, high)
  }

  /// The slot of `key`: the one holding it, or the empty one where it would go.
  private func slot(of key: UnsafeBufferPointer<UInt8>, tag: UInt64, words: (UInt64, UInt64))
    -> Int
  {
    var index = Int(truncatingIfNeeded: tag >> 32) & mask
    return slots.withUnsafeBufferPointer { slots in
      while true {
        let slot = slots[index]
        if slot.tag == 0 { return index }
        if slot.tag == tag {
          if key.count <= 16 {
            if slot.low == words.0 && slot.high == words.1 { return index }
          } else if arenaMatches(start: Int(slot.low), key) {
            return index
          }
        }
        index = (index + 1) & mask
      }
    }
  }

  private func arenaMatches(start: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
    arena.withUnsafeBufferPointer { arena in
      guard start + key.count <= arena.count else { return false }
      for index in 0..<key.count where arena[start + index] != key[index] { return false }
      return true
    }
  }

  /// Sets the id of `key` (a later id for the same key replaces the earlier one).
  package mutating func insert(_ key: UnsafeBufferPointer<UInt8>, id: Int) {
    if (count + 1) * 2 > slots.count { grow() }
    let tag = Self.tag(hash: Self.hash(key), length: key.count)
    let words = Self.words(key)
    let index = slot(of: key, tag: tag, words: words)
    if slots[index].tag != 0 {
      slots[index].id = id
      return
    }
    var slot = Slot(tag: tag, id: id, low: words.0, high: words.1)
    if key.count > 16 {
      slot.low = UInt64(arena.count)
      slot.high = 0
      arena.append(contentsOf: key)
    }
    slots[index] = slot
    count += 1
  }

  package mutating func insert(_ key: String, id: Int) {
    var key = key
    key.withUTF8 { insert($0, id: id) }
  }

  private mutating func grow() {
    let old = slots
    slots = [Slot](repeating: Slot(), count: old.count * 2)
    mask = slots.count - 1
    for slot in old where slot.tag != 0 {
      var index = Int(truncatingIfNeeded: slot.tag >> 32) & mask
      while slots[index].tag != 0 { index = (index + 1) & mask }
      slots[index] = slot
    }
  }

  /// The id of `key`, if present.
  package func id(of key: UnsafeBufferPointer<UInt8>) -> Int? {
    let tag = Self.tag(hash: Self.hash(key), length: key.count)
    let slot = slots[slot(of: key, tag: tag, words: Self.words(key))]
    return slot.tag == 0 ? nil : slot.id
  }

  /// The id of `key`, if present.
  package func id(of key: String) -> Int? {
    var key = key
    return key.withUTF8 { id(of: $0) }
  }
}

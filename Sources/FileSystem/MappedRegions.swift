import Glibc
import Synchronization

/// The address ranges of the files mapped by ``MappedRegion``, with their paths as C strings, so
/// that a `SIGBUS` handler can name the file that changed under the program.
///
/// A file truncated by another process while it is mapped raises `SIGBUS` when a lost page is
/// touched. A handler (the `embsurgery` command installs one) calls ``path(containing:)`` with the
/// faulting address: that lookup only reads a fixed table, takes no lock and allocates nothing,
/// so it is safe inside a signal handler.
public enum MappedRegions {
  /// One mapped file.
  struct Region {
    var start: UInt
    var end: UInt
    var path: UnsafeMutablePointer<CChar>?
  }

  /// How many mappings are tracked at once; more are mapped but not tracked.
  static let capacity = 4096

  /// The table, allocated once and never freed.
  nonisolated(unsafe) private static let table: UnsafeMutablePointer<Region> = {
    let table = UnsafeMutablePointer<Region>.allocate(capacity: capacity)
    table.initialize(repeating: Region(start: 0, end: 0, path: nil), count: capacity)
    return table
  }()

  /// Serializes registration; the signal-handler lookup does not take it.
  private static let lock = Mutex<Void>(())

  /// Allocates the table now, so that a signal handler never runs its lazy initialization.
  public static func prepare() {
    _ = table
  }

  /// Records a mapping; returns its slot, or `nil` when the table is full.
  static func register(base: UnsafeRawPointer, count: Int, path: String) -> Int? {
    lock.withLock { _ in
      for slot in 0..<capacity where table[slot].path == nil {
        let start = UInt(bitPattern: base)
        table[slot].start = start
        table[slot].end = start + UInt(count)
        table[slot].path = strdup(path)
        return slot
      }
      return nil
    }
  }

  /// Forgets the mapping in `slot` (before it is unmapped).
  static func unregister(_ slot: Int) {
    lock.withLock { _ in
      let path = table[slot].path
      table[slot].path = nil
      table[slot].start = 0
      table[slot].end = 0
      free(path)
    }
  }

  /// The path of the mapped file holding `address`, or `nil`. Async-signal-safe.
  package static func path(containing address: UInt) -> UnsafePointer<CChar>? {
    for slot in 0..<capacity {
      let region = table[slot]
      if let path = region.path, address >= region.start, address < region.end {
        return UnsafePointer(path)
      }
    }
    return nil
  }
}

import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The temporary files and folders a resize is building, so that a program interrupted by a
/// signal can remove them before it exits (see ``removeAll()``).
///
/// A resize registers its temporary path (`.NAME.embsurgery-partial-PID`, beside the output)
/// before creating it and unregisters it once it has been moved into place or discarded. While an
/// existing output folder is moved aside to be replaced, the move is registered too, so that an
/// interruption puts the old folder back.
public enum TemporaryOutputs {
  /// One clean-up action.
  enum Entry: Sendable, Equatable {
    /// Remove the file or folder tree at this path.
    case remove(String)
    /// Move the folder at `aside` back to `path` when nothing is at `path`.
    case restore(aside: String, path: String)
  }

  private static let entries = Mutex<[Entry]>([])

  static func register(_ entry: Entry) {
    entries.withLock { $0.append(entry) }
  }

  static func unregister(_ entry: Entry) {
    entries.withLock { list in
      if let position = list.lastIndex(of: entry) { list.remove(at: position) }
    }
  }

  /// The registered temporary paths (for tests and messages).
  public static var registeredPaths: [String] {
    entries.withLock { list in
      list.map {
        switch $0 {
        case .remove(let path): path
        case .restore(let aside, _): aside
        }
      }
    }
  }

  /// Removes every registered temporary path and moves aside outputs back, newest first; returns
  /// the paths it removed. Meant for a signal-handling thread just before the process exits.
  ///
  /// `stopWriters` is called once the list is locked (so no thread is half-way through
  /// registering) and before anything is removed: it should stop the threads that write the output
  /// (`embsurgery` parks its main thread in a signal handler), else a file they create after the
  /// removal would stay. The list stays locked afterwards: nothing new can be registered.
  @discardableResult
  public static func removeAll(stoppingWritersWith stopWriters: () -> Void = {}) -> [String] {
    entries.withLock { list in
      stopWriters()
      var removed: [String] = []
      for entry in list.reversed() {
        switch entry {
        case .remove(let path):
          if FileAccess.exists(path) {
            for _ in 0..<100 {
              FileAccess.removeTree(path)
              if !FileAccess.exists(path) { break }
            }
            removed.append(path)
          }
        case .restore(let aside, let path):
          if FileAccess.exists(aside), !FileAccess.exists(path) {
            _ = rename(aside, path)
          }
        }
      }
      list.removeAll()
      return removed
    }
  }

  /// Removes what earlier runs killed outright (SIGKILL, power loss) left beside `path`:
  /// `.NAME.embsurgery-partial-PID` of a process that no longer exists is removed, and
  /// `.NAME.embsurgery-old-PID` (an output moved aside to be replaced) is moved back to `path`
  /// when nothing is there, else removed.
  static func cleanStale(besides path: String) {
    let parent = ModelCheckpoint.parentFolder(of: path)
    guard let name = path.split(separator: "/").last.map(String.init), !name.isEmpty,
      let names = try? FileAccess.contents(of: parent)
    else { return }
    for kind in ["partial", "old"] {
      let prefix = ".\(name).embsurgery-\(kind)-"
      for candidate in names where candidate.hasPrefix(prefix) {
        guard let pid = Int32(candidate.dropFirst(prefix.count)), pid > 0, pid != getpid() else { continue }
        guard kill(pid, 0) != 0, errno == ESRCH else { continue }  // Its process still runs.
        let stale = parent + "/" + candidate
        if kind == "old", !FileAccess.exists(path) {
          _ = rename(stale, path)
        } else {
          FileAccess.removeTree(stale)
        }
      }
    }
  }
}

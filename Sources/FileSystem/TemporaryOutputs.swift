import Synchronization
import SystemPackage

/// The temporary files and folders being built, so that a program interrupted by a signal can
/// remove them before it exits (see ``removeAll(stoppingWritersWith:)``).
///
/// A writer registers its temporary path (a ``TemporaryName``) before creating it and unregisters
/// it once it has been moved into place or discarded. While an existing output folder is moved
/// aside to be replaced, the move is registered too, so that an interruption puts the old folder
/// back.
public enum TemporaryOutputs {
  /// One clean-up action.
  public enum Entry: Sendable, Equatable {
    /// Remove the file or folder tree at this path.
    case remove(FilePath)
    /// Move the folder at `aside` back to `path` when nothing is at `path`.
    case restore(aside: FilePath, path: FilePath)
  }

  private static let entries = Mutex<[Entry]>([])

  /// Records a clean-up action.
  public static func register(_ entry: Entry) {
    entries.withLock { $0.append(entry) }
  }

  /// Forgets a clean-up action (its path was moved into place or removed).
  public static func unregister(_ entry: Entry) {
    entries.withLock { list in
      if let position = list.lastIndex(of: entry) { list.remove(at: position) }
    }
  }

  /// The registered temporary paths (for tests and messages).
  public static var registeredPaths: [String] {
    entries.withLock { list in
      list.map {
        switch $0 {
        case .remove(let path): path.string
        case .restore(let aside, _): aside.string
        }
      }
    }
  }

  /// Removes every registered temporary path and moves aside outputs back, newest first; returns
  /// the paths it removed. Meant for a signal-handling thread just before the process exits.
  ///
  /// `stopWriters` is called once the list is locked (so no thread is half-way through
  /// registering) and before anything is removed: it should stop the threads that write the output
  /// (the `embsurgery` command parks its main thread), else a file they create after the removal
  /// would stay. The list stays locked afterwards: nothing new can be registered.
  @discardableResult
  public static func removeAll(stoppingWritersWith stopWriters: () -> Void = {}) -> [String] {
    entries.withLock { list in
      stopWriters()
      var removed: [String] = []
      for entry in list.reversed() {
        switch entry {
        case .remove(let path):
          if path.exists {
            for _ in 0..<100 {
              path.removeTree()
              if !path.exists { break }
            }
            removed.append(path.string)
          }
        case .restore(let aside, let path):
          if aside.exists, !path.exists { try? aside.rename(to: path) }
        }
      }
      list.removeAll()
      return removed
    }
  }
}

import SystemPackage

/// The one naming scheme of temporary files and folders: `.NAME.embsurgery-KIND-PID` beside the
/// path `NAME` they stand for, so that a later run can tell whose they are and clean them up.
public struct TemporaryName: Sendable, Equatable {
  /// What a temporary path holds.
  public enum Kind: String, Sendable, CaseIterable {
    /// An output being built; renamed over the target once complete.
    case partial
    /// An existing output moved aside while its replacement is moved in.
    case old
  }

  /// The path the temporary one stands for.
  public var target: FilePath
  /// What it holds.
  public var kind: Kind
  /// The process that made it.
  public var processID: Int32

  /// The temporary name of `kind` for `target`, for this process.
  public init(for target: FilePath, kind: Kind) {
    self.target = target
    self.kind = kind
    processID = CurrentProcess.id
  }

  /// The temporary path: `.NAME.embsurgery-KIND-PID` in `target`'s folder.
  public var path: FilePath {
    target.folder.appending(
      Self.prefix(of: target.name.isEmpty ? "output" : target.name, kind: kind) + String(processID))
  }

  private static func prefix(of name: String, kind: Kind) -> String { ".\(name).embsurgery-\(kind.rawValue)-" }

  /// Cleans up what earlier runs killed outright (SIGKILL, power loss) left beside `target`:
  /// a partial output of a process that no longer exists is removed; an output moved aside is
  /// moved back to `target` when nothing is there, else removed.
  public static func cleanStale(besides target: FilePath) {
    let name = target.name
    guard !name.isEmpty, let names = try? target.folder.folderEntries() else { return }
    for kind in Kind.allCases {
      let prefix = prefix(of: name, kind: kind)
      for candidate in names where candidate.hasPrefix(prefix) {
        guard let pid = Int32(candidate.dropFirst(prefix.count)), pid > 0, pid != CurrentProcess.id,
          !CurrentProcess.isRunning(pid)
        else { continue }
        let stale = target.folder.appending(candidate)
        if kind == .old, !target.exists {
          try? stale.rename(to: target)
        } else {
          stale.removeTree()
        }
      }
    }
  }
}

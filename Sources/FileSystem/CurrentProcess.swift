import CFileSystem
import Glibc

/// The running process, and whether another one still runs.
public enum CurrentProcess {
  /// The process id.
  public static var id: Int32 { getpid() }

  /// The environment variables.
  public static var environment: [String: String] {
    var result: [String: String] = [:]
    var entry = environ
    while let pointer = entry.pointee {
      let text = String(cString: pointer)
      if let equals = text.firstIndex(of: "=") {
        result[String(text[..<equals])] = String(text[text.index(after: equals)...])
      }
      entry += 1
    }
    return result
  }

  /// The processors this process may run on (its affinity: `taskset` and cpusets count), at least 1.
  public static var processorCount: Int { Int(cfilesystem_available_processors()) }

  /// Whether a process with id `pid` exists (`kill(pid, 0)`; a process of another user counts).
  public static func isRunning(_ pid: Int32) -> Bool {
    switch SystemCall.retrying({ kill(pid, 0) }) {
    case .success: true
    case .failure(let code): code != .noSuchProcess
    }
  }
}

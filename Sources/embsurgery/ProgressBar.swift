import FileSystem
import Synchronization

/// A one-line progress bar on standard error, drawn only when standard error is a terminal.
/// Redraws at most every 1% so that it costs nothing measurable.
final class ProgressBar: Sendable {
  private let lastPermille = Mutex(-1)

  /// A bar on standard error, or `nil` when it is disabled or standard error is not a terminal.
  static func standardError(enabled: Bool) -> ProgressBar? {
    guard enabled, StandardError.isTerminal else { return nil }
    return ProgressBar()
  }

  /// Records progress.
  @Sendable func update(_ done: Int64, _ total: Int64) {
    guard total > 0 else { return }
    let permille = Int(min(1000, done * 1000 / total))
    lastPermille.withLock { lastPermille in
      guard permille / 10 != lastPermille / 10 else { return }
      lastPermille = permille
      let width = 30
      let filled = permille * width / 1000
      let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
      CommandOutput.writeError("\r\(bar) \(permille / 10)%")
    }
  }

  /// Clears the bar's line.
  func finish() {
    lastPermille.withLock { lastPermille in
      if lastPermille >= 0 { CommandOutput.writeError("\r\u{1B}[K") }
    }
  }
}

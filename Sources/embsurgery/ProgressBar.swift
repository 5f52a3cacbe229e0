import ArgumentParser
import EmbeddingSurgery
import FileSystem
import StrictJSON
import Synchronization

/// `--progress`: how a surgery shows its progress on standard error.
enum ProgressStyle: String, ExpressibleByArgument, CaseIterable {
  /// A one-line bar, drawn only when standard error is a terminal (the default).
  case bar
  /// One JSON object a step, `{"schema_version", "done", "total", "unit"}`, on its own line: for
  /// programs (terminal or not).
  case jsonl
  /// Nothing (as `--quiet`).
  case none
}

/// Progress on standard error, as a bar or as JSON lines. Reports at most every 0.1% (the bar
/// redraws every 1%), so that it costs nothing measurable.
final class ProgressBar: Sendable {
  private let style: ProgressStyle
  private let lastPermille = Mutex(-1)

  private init(style: ProgressStyle) {
    self.style = style
  }

  /// The progress of `style` on standard error, or `nil` when it is disabled, or it is the bar
  /// and standard error is not a terminal.
  static func standardError(_ style: ProgressStyle, enabled: Bool) -> ProgressBar? {
    guard enabled, style != .none, style == .jsonl || StandardError.isTerminal else { return nil }
    return ProgressBar(style: style)
  }

  /// Records progress: `done` of `total` bytes.
  @Sendable func update(_ done: Int64, _ total: Int64) {
    guard total > 0 else { return }
    let permille = Int(min(1000, max(0, done) * 1000 / total))
    lastPermille.withLock { lastPermille in
      switch style {
      case .jsonl:
        guard permille != lastPermille else { return }
        lastPermille = permille
        let line: JSONValue = .object([
          ReportSchema.versionMember, JSONMember("done", .number(JSONNumber(Int(done)))),
          JSONMember("total", .number(JSONNumber(Int(total)))), JSONMember("unit", "bytes"),
        ])
        CommandOutput.writeError(JSONWriter.string(line) + "\n")
      case .bar:
        guard permille / 10 != lastPermille / 10 else { return }
        lastPermille = permille
        let width = 30
        let filled = permille * width / 1000
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        CommandOutput.writeError("\r\(bar) \(permille / 10)%")
      case .none: return
      }
    }
  }

  /// Clears the bar's line (JSON lines need no clearing).
  func finish() {
    lastPermille.withLock { lastPermille in
      if style == .bar, lastPermille >= 0 { CommandOutput.writeError("\r\u{1B}[K") }
      lastPermille = -1
    }
  }
}

import Dispatch
import Synchronization

/// A piece of work run on another thread and waited for once: how a resize copies the checkpoint
/// while it computes the new rows.
final class BackgroundWork: Sendable {
  private let outcome = Mutex<Result<Void, SurgeryError>?>(nil)
  private let finished = DispatchSemaphore(value: 0)

  private init() {}

  /// Starts `body` on a global queue.
  static func start(_ body: @escaping @Sendable () throws(SurgeryError) -> Void) -> BackgroundWork {
    let work = BackgroundWork()
    DispatchQueue.global().async {
      let result = Result { () throws(SurgeryError) in try body() }
      work.outcome.withLock { $0 = result }
      work.finished.signal()
    }
    return work
  }

  /// Whether the work has ended.
  var isFinished: Bool { outcome.withLock { $0 != nil } }

  /// Waits for the work to end and rethrows its error. Call it once.
  func wait() throws(SurgeryError) {
    finished.wait()
    let result = outcome.withLock { $0 } ?? .success(())
    try result.get()
  }
}

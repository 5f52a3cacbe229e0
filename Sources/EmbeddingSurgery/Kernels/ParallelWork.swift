import Dispatch
import FileSystem
import Synchronization

/// Runs independent pieces of work on several threads and hands back their results in piece
/// order, so that a reduction over them does not depend on the number of threads.
///
/// The pieces are a fixed partition chosen by the caller (windows of a matrix); the threads take
/// them in order from a shared counter; each result lands in its piece's slot; the caller combines
/// the slots in order.
enum ParallelWork {
  /// The number of threads used by default: the processors the system makes available.
  static var defaultThreadCount: Int { CurrentProcess.processorCount }

  /// The results of `work(0)`, `work(1)`, ... `work(count - 1)`, in that order, computed on
  /// `threads` threads (this one included).
  ///
  /// - Complexity: `count` calls of `work`, spread over the threads.
  static func map<Result: Sendable>(
    _ count: Int, threads: Int = defaultThreadCount, _ work: @Sendable (Int) -> Result
  ) -> [Result] {
    guard count > 0 else { return [] }
    let slots = Mutex<[Result?]>(Array(repeating: nil, count: count))
    let next = Atomic<Int>(0)
    let workers = min(max(threads, 1), count)
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      while true {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        guard index < count else { return }
        let result = work(index)
        slots.withLock { $0[index] = result }
      }
    }
    return slots.withLock { $0.compactMap { $0 } }
  }
}

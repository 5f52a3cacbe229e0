/// Whether the kernels check the counts of the buffers they are given: compiled in with
/// `EMBSURGERY_INTERNAL_CHECKS`, which Package.swift defines in debug builds (so `swift test`
/// runs with them), as swift-collections checks its unsafe handles under
/// `COLLECTIONS_INTERNAL_CHECKS`. Release builds leave them out: the counts are then the callers'
/// promise, and the checks cost nothing.
@inlinable @inline(__always)
package var internalChecksAreEnabled: Bool {
  #if EMBSURGERY_INTERNAL_CHECKS
    true
  #else
    false
  #endif
}

/// Stops the program when `condition` is false, in a build with internal checks (see
/// ``internalChecksAreEnabled``); does nothing (evaluates nothing) otherwise.
@inlinable @inline(__always)
func internalCheck(
  _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID,
  line: UInt = #line
) {
  #if EMBSURGERY_INTERNAL_CHECKS
    precondition(condition(), message(), file: file, line: line)
  #endif
}

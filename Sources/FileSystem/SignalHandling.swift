import Glibc
import Synchronization

/// What a command does on SIGINT, SIGTERM, SIGHUP and SIGBUS.
///
/// - SIGINT, SIGTERM, SIGHUP: blocked in every thread and taken by a dedicated thread
///   (`sigwait`), which parks the main thread, removes the temporary outputs being built (see
///   ``TemporaryOutputs``), prints one `error:` line and exits with 128 + the signal number. The
///   clean-up runs in an ordinary thread, not in a signal handler, so it may lock and allocate.
/// - SIGBUS (a mapped input file was truncated by another process): a handler prints
///   `error: <file>: the file changed while it was being read (truncated?)` using only
///   async-signal-safe calls, then hands over to the same thread (with SIGUSR1), which removes the
///   temporary outputs and exits with status 1. The faulting thread waits in `pause()`.
public enum SignalHandling {
  /// The thread that writes the output; parked with SIGUSR2 before the clean-up.
  nonisolated(unsafe) private static var mainThread = pthread_self()
  /// Set by the SIGUSR2 handler once the main thread is parked.
  private static let parked = Atomic<Bool>(false)

  private static let terminating: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGUSR1]

  /// Installs the handlers. Call first thing in `main`, before any other thread exists.
  public static func install() {
    MappedRegions.prepare()
    mainThread = pthread_self()
    _ = parked.load(ordering: .relaxed)

    var park = sigaction()
    park.__sigaction_handler.sa_handler = { _ in
      SignalHandling.parked.store(true, ordering: .sequentiallyConsistent)
      while true { pause() }
    }
    sigemptyset(&park.sa_mask)
    sigaction(SIGUSR2, &park, nil)

    var bus = sigaction()
    bus.__sigaction_handler.sa_sigaction = { _, info, _ in
      let address = UInt(bitPattern: info?.pointee._sifields._sigfault.si_addr)
      StandardError.write("error: ")
      if let path = MappedRegions.path(containing: address) {
        StandardError.write(cString: path)
        StandardError.write(": the file changed while it was being read (truncated?)\n")
      } else {
        StandardError.write("a mapped file changed while it was being read (truncated?)\n")
      }
      kill(getpid(), SIGUSR1)
      while true { pause() }
    }
    bus.sa_flags = SA_SIGINFO
    sigemptyset(&bus.sa_mask)
    sigaction(SIGBUS, &bus, nil)

    var set = terminatingSet()
    pthread_sigmask(SIG_BLOCK, &set, nil)
    var thread = pthread_t()
    _ = pthread_create(&thread, nil, { _ in SignalHandling.waitAndCleanUp() }, nil)
  }

  private static func terminatingSet() -> sigset_t {
    var set = sigset_t()
    sigemptyset(&set)
    for signal in terminating { sigaddset(&set, signal) }
    return set
  }

  /// The clean-up thread: waits for a terminating signal, removes the temporary outputs, exits.
  private static func waitAndCleanUp() -> Never {
    var set = terminatingSet()
    var signal: Int32 = 0
    while sigwait(&set, &signal) != 0 {}
    let removed = TemporaryOutputs.removeAll {
      // Park the main thread so that it creates nothing more; give up waiting after 2 s.
      guard pthread_equal(pthread_self(), mainThread) == 0 else { return }
      if pthread_kill(mainThread, SIGUSR2) == 0 {
        for _ in 0..<2000 where !parked.load(ordering: .sequentiallyConsistent) { usleep(1000) }
      }
    }
    if signal == SIGUSR1 { _exit(1) }  // SIGBUS: the handler has printed the message.
    let name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "SIGHUP"
    let what = removed.isEmpty ? "" : "; removed the partial output \(removed.joined(separator: ", "))"
    StandardError.write("error: interrupted by \(name)\(what)\n")
    _exit(128 + signal)
  }
}

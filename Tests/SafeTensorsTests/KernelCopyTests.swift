import Testing

@testable import SafeTensors

@Test func copyFileRangeIsAvailable() {
  // The writer copies file segments in the kernel; the Glibc module does not export the call,
  // so it is looked up at run time. This proves the lookup works (the fallback is also correct).
  #expect(KernelCopy.function != nil)
}

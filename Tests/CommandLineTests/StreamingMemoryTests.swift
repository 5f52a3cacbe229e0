import Foundation
import TestSupport
import Testing

/// `audit` and `diff` stream the matrices: a 384 MiB embedding (768 MiB for the two sides of a
/// diff) is read with far less resident memory than its size.
@Test func auditAndDiffDoNotHoldTheMatrixInMemory() throws {
  let scratch = try ScratchDirectory()
  let folder = scratch.path("big").path
  let made = try AuditReference.run(["big", folder, "98304", "1024"])
  let bytes = try #require((made["bytes"] as? NSNumber)?.intValue)
  #expect(bytes == 384 << 20)
  let executable = try TestEnvironment.embsurgeryExecutable()

  let audit = try AuditReference.run(["peak-rss", executable, "audit", folder])
  #expect((audit["status"] as? NSNumber)?.intValue == 3, "\(audit["stderr"] ?? "")")
  let auditPeak = try #require((audit["peak_rss"] as? NSNumber)?.intValue)
  #expect(auditPeak < bytes / 2, "audit's peak RSS is \(auditPeak >> 20) MiB for a \(bytes >> 20) MiB matrix")

  let diff = try AuditReference.run(["peak-rss", executable, "diff", folder, folder + "/model.safetensors"])
  #expect((diff["status"] as? NSNumber)?.intValue == 0, "\(diff["stderr"] ?? "")")
  let diffPeak = try #require((diff["peak_rss"] as? NSNumber)?.intValue)
  #expect(diffPeak < bytes / 2, "diff's peak RSS is \(diffPeak >> 20) MiB for two \(bytes >> 20) MiB matrices")
}

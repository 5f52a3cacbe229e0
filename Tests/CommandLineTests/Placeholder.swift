import Testing
import TestSupport

@Test func executableAnswersHelp() throws {
  let result = try TestEnvironment.embsurgery(["--help"])
  #expect(result.status == 0)
  #expect(result.stdout.contains("USAGE: embsurgery"))
}

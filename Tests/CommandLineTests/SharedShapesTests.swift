import Foundation
import StrictJSON
import TestSupport
import Testing

/// The reports spell one concept one way: `audit` and `fix-untrained` describe a flagged row with
/// the same object and the same finding names, and `inspect`, `audit` and `diff` describe the
/// embedding with the same members.
@Suite struct SharedShapesTests {
  func json(_ arguments: [String]) throws -> JSONValue {
    let result = try TestEnvironment.embsurgery(arguments + ["--json"])
    #expect([0, 3].contains(result.status), "\(arguments): \(result.stderr)")
    return try JSONParser.parse(Array(result.stdout.utf8))
  }

  @Test func auditAndFixUntrainedSpellFindingsTheSameWay() throws {
    let scratch = try ScratchDirectory()
    let folder = scratch.path("llama3").path
    try AuditReference.run(["llama3", folder])
    let audit = try json(["audit", folder])
    let fix = try json(["fix-untrained", folder, "--output", scratch.path("out").path, "--dry-run"])
    let fixed = try #require(fix["fixed"]?.elements)
    let flagged = try #require(audit["flagged_rows"]?.elements)
    #expect(!fixed.isEmpty)
    for row in fixed {
      let id = try #require(row["id"]?.number?.int)
      let audited = try #require(flagged.first { $0["id"]?.number?.int == id }, "row \(id)")
      #expect(row.members?.map(\.key) == ["id", "token", "where", "embedding", "head"])
      // fix-untrained acts on the untrained findings of audit's entry for the same row.
      func untrained(_ value: JSONValue?) -> [String] {
        (value?.elements ?? []).compactMap(\.string).filter { ["zero", "nonfinite", "low_norm"].contains($0) }
      }
      #expect(untrained(row["embedding"]) == untrained(audited["embedding"]), "row \(id)")
      #expect(untrained(row["head"]) == untrained(audited["head"]), "row \(id)")
      #expect(row["token"] == audited["token"])
    }
    let names = Set(
      fixed.flatMap { ($0["embedding"]?.elements ?? []) + ($0["head"]?.elements ?? []) }.compactMap(\.string))
    #expect(names.isSubset(of: ["zero", "nonfinite", "low_norm"]) && !names.isEmpty)
  }

  @Test func inspectAuditAndDiffDescribeTheEmbeddingAlike() throws {
    let fixture = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/tiny-llama").path
    let inspect = try json(["inspect", fixture])
    let audit = try json(["audit", fixture])
    let diff = try json(["diff", fixture, fixture])
    let described = try #require(inspect["embedding"])
    #expect(described.members?.map(\.key) == ["name", "rows", "dim", "dtype"])
    let audited = try #require(audit["matrices"]?.elements?.first)
    #expect(audited.members?.prefix(5).map(\.key) == ["role", "name", "rows", "dim", "dtype"])
    #expect(JSONValue.object(Array(audited.members?.dropFirst().prefix(4) ?? [])) == described)
    #expect(diff["matrices"]?.elements?.first?["a"] == described)
    #expect(
      inspect["head"]
        == audit["matrices"]?.elements?.last.flatMap {
          JSONValue.object(Array($0.members?.dropFirst().prefix(4) ?? []))
        })
  }
}

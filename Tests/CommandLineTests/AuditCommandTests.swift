import Foundation
import TestSupport
import Testing

@Test func auditListsTheZeroReservedRowsAndExitsWith3() throws {
  let scratch = try ScratchDirectory()
  let folder = scratch.path("llama3").path
  try AuditReference.run(["llama3", folder])
  let result = try TestEnvironment.embsurgery(["audit", folder])
  #expect(result.status == 3, "\(result.stderr)")
  #expect(result.stderr.isEmpty)
  let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  let expected = [
    "Flagged rows: 14 (embedding only 7, head only 3, both 4)",
    "  all zero: 6",
    "    258-261  <|reserved_special_token_0|> … <|reserved_special_token_3|>  (embedding and head)",
    "    263-264  <|reserved_special_token_4|> … <|reserved_special_token_5|>  (embedding)",
    "  NaN or Inf: 2",
    "    12  w12  (head)",
    "    30  w30  (embedding)",
    "  norm far below the rest: 1",
    "    20  w20  (embedding)",
    "  duplicate rows in the embedding: 1 group",
    "    5, 9, 40  w5, w9, w40",
    "  duplicate rows in the head: 1 group",
    "    77, 78  w77, w78",
    "Tokens without a row: 1",
    "    265  <|eom_id|>",
  ]
  let start = try #require(lines.firstIndex(of: expected[0]), "\(result.stdout)")
  #expect(Array(lines[start..<min(lines.count, start + expected.count)]) == expected)
  #expect(lines.contains("embedding  model.embed_tokens.weight [265, 64] BF16"))
  #expect(lines.contains("head       lm_head.weight [265, 64] BF16"))
}

@Test func auditJSONNamesEachFlaggedRowAndWhereItWasFlagged() throws {
  let scratch = try ScratchDirectory()
  let folder = scratch.path("llama3").path
  try AuditReference.run(["llama3", folder])
  let result = try TestEnvironment.embsurgery(["audit", folder, "--json"])
  #expect(result.status == 3, "\(result.stderr)")
  #expect(result.stdout.filter { $0 == "\n" }.count == 1)
  #expect(result.stdout.hasPrefix(#"{"schema_version":1,"model":"#))
  let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
  #expect(
    Array(object.keys).sorted() == [
      "findings", "flagged_rows", "matrices", "model", "notes", "reserved", "schema_version", "thresholds",
      "tokenizer", "tokens_without_row", "unused_rows", "vocabulary_size",
    ])
  #expect(object["findings"] as? Bool == true)
  let rows = try #require(object["flagged_rows"] as? [[String: Any]])
  #expect(
    rows.compactMap { ($0["id"] as? NSNumber)?.intValue } == [
      5, 9, 12, 20, 30, 40, 77, 78, 258, 259, 260, 261, 263, 264,
    ])
  let row258 = try #require(rows.first { ($0["id"] as? NSNumber)?.intValue == 258 })
  #expect(row258["token"] as? String == "<|reserved_special_token_0|>")
  #expect(row258["where"] as? String == "both")
  #expect(row258["embedding"] as? [String] == ["zero"] && row258["head"] as? [String] == ["zero"])
  let row30 = try #require(rows.first { ($0["id"] as? NSNumber)?.intValue == 30 })
  #expect(row30["where"] as? String == "embedding" && row30["embedding"] as? [String] == ["nonfinite"])
  let matrices = try #require(object["matrices"] as? [[String: Any]])
  #expect(matrices.map { $0["role"] as? String } == ["embedding", "head"])
  let flagged = try #require(matrices[0]["flagged"] as? [String: Any])
  #expect(AuditReference.ints(flagged["zero"]) == [258, 259, 260, 261, 263, 264])
  #expect(AuditReference.ints(flagged["low_norm"]) == [20])
  #expect(AuditReference.groups(matrices[0]["duplicate_groups"]) == [[5, 9, 40]])
  let reserved = try #require(object["reserved"] as? [String: Any])
  #expect(AuditReference.groups(reserved["ranges"]) == [[258, 261], [263, 264]])
  let withoutRow = try #require(object["tokens_without_row"] as? [[String: Any]])
  #expect(withoutRow.count == 1 && withoutRow.first?["token"] as? String == "<|eom_id|>")
}

@Test func auditGemmaStyleListsUnusedRowsAsRanges() throws {
  let scratch = try ScratchDirectory()
  let folder = scratch.path("gemma").path
  try AuditReference.run(["gemma", folder])
  let result = try TestEnvironment.embsurgery(["audit", folder])
  #expect(result.status == 3, "\(result.stderr)")
  let lines = result.stdout.split(separator: "\n").map(String.init)
  #expect(lines.contains("head       tied to the embedding"))
  #expect(lines.contains("  close to the mean of the reserved and unused rows: 13"))
  #expect(lines.contains("    4-13  <unused0> … <unused9>  (embedding)"))
  #expect(lines.contains("    50  w36  (embedding)"))
  #expect(lines.contains("    100-101  (no token)  (embedding)"))
  #expect(lines.contains("Rows no token uses: 4 (100-103)"))
  let json = try TestEnvironment.embsurgery(["audit", folder, "--json"])
  let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
  let unused = try #require(object["unused_rows"] as? [String: Any])
  #expect((unused["count"] as? NSNumber)?.intValue == 4)
  #expect(AuditReference.groups(unused["ranges"]) == [[100, 103]])
}

@Test func auditOfACleanModelExitsWith0() throws {
  let fixture = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/tiny-llama").path
  let result = try TestEnvironment.embsurgery(["audit", fixture])
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.contains("\nFlagged rows: none\n"))
  let json = try TestEnvironment.embsurgery(["audit", fixture, "--json"])
  #expect(json.status == 0)
  #expect(json.stdout.hasSuffix(#","findings":false}"# + "\n"))
}

@Test func auditErrorsAreOneLineWithExitStatus1() throws {
  let scratch = try ScratchDirectory()
  let missing = try TestEnvironment.embsurgery(["audit", scratch.path("nothing").path])
  #expect(missing.status == 1)
  #expect(missing.stdout.isEmpty)
  #expect(missing.stderr.hasPrefix("error: \(scratch.path("nothing").path): "))
  #expect(missing.stderr.filter { $0 == "\n" }.count == 1)
  let notAModel = scratch.path("tokenizer.json")
  try Data("{}".utf8).write(to: notAModel)
  let invalid = try TestEnvironment.embsurgery(["audit", notAModel.path])
  #expect(invalid.status == 1)
  #expect(invalid.stderr.hasPrefix("error: "))
  #expect(invalid.stderr.filter { $0 == "\n" }.count == 1)
}

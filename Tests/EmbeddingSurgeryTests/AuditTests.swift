import EmbeddingSurgery
import Foundation
import TestSupport
import Testing
import Tokenization

/// The numpy side's statistics of one matrix.
private struct ExpectedMatrix {
  var norms: [String: Double]
  var rowNorms: [Double?]
  var zero: [Int]
  var nonFinite: [Int]
  var lowNorm: [Int]
  var duplicates: [[Int]]
  var nearReservedMean: [Int]

  init(_ value: Any?) throws {
    let object = try #require(value as? [String: Any])
    norms = try #require(object["norms"] as? [String: Any]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
    rowNorms = try #require(object["row_norms"] as? [Any]).map { ($0 as? NSNumber)?.doubleValue }
    zero = try #require(AuditReference.ints(object["zero"]))
    nonFinite = try #require(AuditReference.ints(object["nonfinite"]))
    lowNorm = try #require(AuditReference.ints(object["low_norm"]))
    duplicates = try #require(AuditReference.groups(object["duplicate_groups"]))
    nearReservedMean = try #require(AuditReference.ints(object["near_reserved_mean"]))
  }
}

private func close(_ a: Double, _ b: Double) -> Bool {
  abs(a - b) <= 1e-12 + 1e-9 * abs(b)
}

/// Checks a matrix's audit against numpy's.
private func expectMatches(
  _ matrix: ModelAudit.MatrixAudit, _ expected: ExpectedMatrix, sourceLocation: SourceLocation = #_sourceLocation
) throws {
  #expect(matrix.rows(flagged: .zero) == expected.zero, sourceLocation: sourceLocation)
  #expect(matrix.rows(flagged: .nonFinite) == expected.nonFinite, sourceLocation: sourceLocation)
  #expect(matrix.rows(flagged: .lowNorm) == expected.lowNorm, sourceLocation: sourceLocation)
  #expect(matrix.duplicateGroups == expected.duplicates, sourceLocation: sourceLocation)
  #expect(
    matrix.rows(flagged: .duplicate) == expected.duplicates.flatMap { $0 }.sorted(), sourceLocation: sourceLocation)
  #expect(matrix.rows(flagged: .nearReservedMean) == expected.nearReservedMean, sourceLocation: sourceLocation)
  let norms = try #require(matrix.norms)
  #expect(Double(norms.count) == expected.norms["count"], sourceLocation: sourceLocation)
  for (name, value) in norms.named {
    let reference = try #require(expected.norms[name], "\(name)")
    #expect(close(value, reference), "\(name): \(value) vs numpy \(reference)", sourceLocation: sourceLocation)
  }
}

@Test func auditListsTheAllZeroReservedRowsOfALlama3StyleCheckpoint() throws {
  let scratch = try ScratchDirectory()
  let folder = scratch.path("llama3").path
  let reference = try AuditReference.run(["llama3", folder])
  let audit = try ModelAudit(model: ModelCheckpoint.open(folder))

  // The exact findings the checkpoint was built with.
  #expect(audit.reservedIDs == [258, 259, 260, 261, 263, 264])
  #expect(audit.embedding.rows(flagged: .zero) == [258, 259, 260, 261, 263, 264])
  #expect(audit.head?.rows(flagged: .zero) == [258, 259, 260, 261])
  #expect(audit.embedding.rows(flagged: .nonFinite) == [30])
  #expect(audit.head?.rows(flagged: .nonFinite) == [12])
  #expect(audit.embedding.rows(flagged: .lowNorm) == [20])
  #expect(audit.embedding.duplicateGroups == [[5, 9, 40]])
  #expect(audit.head?.duplicateGroups == [[77, 78]])
  #expect(audit.embedding.reservedMeanNorm == nil)  // every reserved row is zero
  #expect(audit.head?.reservedRowsAveraged == 2)  // rows 263 and 264
  #expect(audit.flaggedRows.map(\.id) == [5, 9, 12, 20, 30, 40, 77, 78, 258, 259, 260, 261, 263, 264])
  let byID = Dictionary(uniqueKeysWithValues: audit.flaggedRows.map { ($0.id, $0) })
  #expect(byID[258]?.location == .both)
  #expect(byID[258]?.token == "<|reserved_special_token_0|>")
  #expect(byID[258]?.embedding == [.zero] && byID[258]?.head == [.zero])
  #expect(byID[263]?.location == .embedding)
  #expect(byID[263]?.token == "<|reserved_special_token_4|>")
  #expect(byID[12]?.location == .head && byID[12]?.head == [.nonFinite])
  #expect(byID[77]?.location == .head && byID[77]?.head == [.duplicate])
  #expect(audit.tokensWithoutRow == [Token(id: 265, text: "<|eom_id|>")])
  #expect(audit.unusedRows.ranges.isEmpty)
  #expect(audit.hasFindings)

  // The same findings and norms as numpy's float64 computation of the documented rules.
  try expectMatches(audit.embedding, ExpectedMatrix(reference["embedding"]))
  try expectMatches(try #require(audit.head), ExpectedMatrix(reference["head"]))
}

@Test func auditFindsRowsCloseToTheMeanOfGemmaStyleUnusedRows() throws {
  let scratch = try ScratchDirectory()
  let folder = scratch.path("gemma").path
  let reference = try AuditReference.run(["gemma", folder])
  let audit = try ModelAudit(model: ModelCheckpoint.open(folder))
  #expect(audit.head == nil)
  #expect(audit.reservedIDs == Array(4...13))
  #expect(audit.embedding.rows(flagged: .nearReservedMean) == Array(4...13) + [50, 102, 103])
  #expect(audit.embedding.rows(flagged: .zero) == [100, 101])
  #expect(audit.embedding.reservedRowsAveraged == 12)  // <unused0-9> and rows 102, 103
  #expect(audit.flaggedRows.first { $0.id == 50 }?.token == "w36")
  #expect(audit.flaggedRows.allSatisfy { $0.location == .embedding })
  #expect(audit.unusedRows.ranges == [100...103])
  #expect(audit.tokensWithoutRow.isEmpty)
  try expectMatches(audit.embedding, ExpectedMatrix(reference["embedding"]))
}

@Test func rowNormsMatchNumpyRowByRow() throws {
  let scratch = try ScratchDirectory()
  let folder = scratch.path("llama3").path
  let reference = try AuditReference.run(["llama3", folder])
  let expected = try ExpectedMatrix(reference["embedding"])
  let model = try ModelCheckpoint.open(folder)
  let tensors = try model.checkpoint.tensors()
  let info = try #require(tensors.first { $0.info.name.string == "model.embed_tokens.weight" }?.info)
  let scan = RowNorms(scanning: try MatrixRows(info, in: model.checkpoint), selected: { _ in false })
  #expect(scan.norms.count == expected.rowNorms.count)
  for (id, norm) in scan.norms.enumerated() {
    if let numpy = expected.rowNorms[id] {
      #expect(close(norm, numpy), "row \(id): \(norm) vs numpy \(numpy)")
    } else {
      #expect(!norm.isFinite, "row \(id)")
    }
  }
}

@Test func auditOfACleanModelFlagsNothing() throws {
  let fixture = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/tiny-llama").path
  let audit = try ModelAudit(model: ModelCheckpoint.open(fixture))
  #expect(audit.flaggedRows.isEmpty)
  #expect(audit.tokensWithoutRow.isEmpty)
  #expect(!audit.hasFindings)
  #expect(audit.embedding.norms?.count == 320)
}

@Test func reservedTokenPatternsMatchEachFamilyOnly() {
  let reserved = [
    "<unused0>", "<unused98>", "<|reserved_special_token_0|>", "<|reserved_special_token_247|>", "[unused1]",
    "[unused993]", "<|placeholder1|>", "<|placeholder_6|>", "<|dummy_0|>", "<|dummy_85|>", "[control_8]",
    "<SPECIAL_999>",
  ]
  let ordinary = [
    "<unused>", "<unusedX>", "<unused1", "unused1>", "<|reserved_special_token_|>", "<|reserved_special_token_a|>",
    "[unused]", "[UNUSED1]", "<|placeholder|>", "<|dummy_|>", "[control_]", "<SPECIAL_>", "<special_3>",
    "<|eot_id|>", "<|begin_of_text|>", "[CLS]", "<pad>", "<|dummy|x|>",
  ]
  for token in reserved { #expect(ReservedTokenPattern.match(token) != nil, "\(token)") }
  for token in ordinary { #expect(ReservedTokenPattern.match(token) == nil, "\(token)") }
  #expect(ReservedTokenPattern.match("<unused5>") == .gemma)
  #expect(ReservedTokenPattern.match("[control_3]") == .mistral)
}

@Test func quantilesInterpolateLikeNumpy() {
  // numpy.quantile([1, 2, 4, 8, 16], q) for q = 0, 0.01, 0.3, 0.5, 0.99, 1.
  let values: [Double] = [1, 2, 4, 8, 16]
  #expect(Quantiles.quantile(sortedValues: values, 0) == 1)
  #expect(abs(Quantiles.quantile(sortedValues: values, 0.01) - 1.04) < 1e-12)
  #expect(abs(Quantiles.quantile(sortedValues: values, 0.3) - 2.4) < 1e-12)
  #expect(Quantiles.quantile(sortedValues: values, 0.5) == 4)
  #expect(abs(Quantiles.quantile(sortedValues: values, 0.99) - 15.68) < 1e-12)
  #expect(Quantiles.quantile(sortedValues: values, 1) == 16)
  #expect(Quantiles.median([3, 1, 2, 10]) == 2.5)
}

@Test func idRangesGroupConsecutiveIDs() {
  let ranges = IDRanges([9, 3, 4, 5, 12, 13, 20, 4])
  #expect(ranges.ranges == [3...5, 9...9, 12...13, 20...20])
  #expect(ranges.count == 7)
  #expect(ranges.text == "3-5, 9, 12, 13, 20")
}

@Test func lowNormRuleNeedsBothTheRobustScoreAndTheLowQuantile() {
  // 200 rows of norm 1 ± small spread and one row far below: only that row is flagged.
  var norms = (0..<200).map { 1 + 0.01 * Double($0 % 7) }
  norms[17] = 0.001
  let rows = norms.count
  let result = RowAuditRules.flags(
    norms: norms, isZero: Array(repeating: false, count: rows), isNonFinite: Array(repeating: false, count: rows),
    cosines: nil, duplicates: [])
  #expect(result.flags.indices.filter { result.flags[$0].contains(.lowNorm) } == [17])
  // Equal norms: no spread, no low-norm flag.
  let flat = RowAuditRules.flags(
    norms: Array(repeating: 2, count: 10), isZero: Array(repeating: false, count: 10),
    isNonFinite: Array(repeating: false, count: 10), cosines: nil, duplicates: [])
  #expect(flat.lowNorm == nil)
  #expect(flat.flags.allSatisfy { $0.isEmpty })
}

@Test func auditReadsShardedCheckpointsAsASingleFile() throws {
  let scratch = try ScratchDirectory()
  let single = scratch.path("single").path
  let sharded = scratch.path("sharded").path
  try AuditReference.run(["llama3", single])
  // The same tensors in two shards: the embedding in one, the head in the other.
  try TestEnvironment.runPython(
    """
    import json, os, shutil, sys
    sys.path.insert(0, sys.argv[3])
    from resize_reference import RawFile, write_tensors
    source, target = sys.argv[1], sys.argv[2]
    os.makedirs(target)
    for name in ["tokenizer.json", "config.json"]:
        shutil.copy(os.path.join(source, name), target)
    raw = RawFile(os.path.join(source, "model.safetensors"))
    tensors = {name: raw.get_tensor(name) for name in raw.keys()}
    shards = {"model-00001-of-00002.safetensors": ["lm_head.weight"],
              "model-00002-of-00002.safetensors": ["model.embed_tokens.weight", "model.norm.weight"]}
    weight_map = {}
    for shard, names in shards.items():
        write_tensors(os.path.join(target, shard), {n: tensors[n] for n in names}, {n: "BF16" for n in names})
        weight_map.update({n: shard for n in names})
    size = sum(t.nbytes for t in tensors.values())
    with open(os.path.join(target, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": size}, "weight_map": dict(sorted(weight_map.items()))}, f, indent=2)
    """,
    arguments: [
      single, sharded, TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Reference").path,
    ])
  let one = try ModelAudit(model: ModelCheckpoint.open(single))
  let two = try ModelAudit(model: ModelCheckpoint.open(sharded))
  #expect(two.flaggedRows == one.flaggedRows)
  #expect(two.flaggedRows.count == 14)
  #expect(two.embedding.norms == one.embedding.norms)
  #expect(two.head?.norms == one.head?.norms)
  #expect(two.tokensWithoutRow == one.tokensWithoutRow)
}

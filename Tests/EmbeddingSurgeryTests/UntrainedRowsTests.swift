import EmbeddingSurgery
import Foundation
import SafeTensors
import SystemPackage
import TestSupport
import Testing

@Suite struct UntrainedRowsTests {
  @Test func quantileAndMedianFollowNumpy() {
    // numpy.quantile([1, 2, 3, 4], 0.01) == 1.03; numpy.median([4, 1, 3, 2]) == 2.5
    #expect(abs(Quantiles.quantile(sortedValues: [4, 1, 3, 2].sorted(), 0.01) - 1.03) < 1e-12)
    #expect(Quantiles.median([4, 1, 3, 2]) == 2.5)
    #expect(Quantiles.median([5, 1, 3]) == 3)
  }

  @Test func onlyANormFarBelowTheRestAndBelowTheQuantileIsFlagged() {
    var norms = (0..<200).map { 1 + 0.01 * Double($0 % 20) }
    norms.append(1e-3)
    #expect(RowAuditRules.lowNormRows(norms: norms).rows == [200])
    // Equal norms: the MAD is zero, nothing is flagged.
    #expect(RowAuditRules.lowNormRows(norms: [1, 1, 1, 1, 1e-3, 1, 1]).rows.isEmpty)
    // Far below the rest, but with many such rows none is below the 1% quantile.
    #expect(RowAuditRules.lowNormRows(norms: norms.map { _ in 1e-3 } + norms).rows.isEmpty)
  }

  @Test func classifyCombinesReasons() {
    var norms = (0..<300).map { 1 + 0.01 * Double($0 % 30) }
    norms[3] = 0
    norms[4] = .nan
    norms[9] = 1e-4
    let flags = UntrainedRows.classify(
      norms: norms, isZero: norms.indices.map { $0 == 3 }, isNonFinite: norms.indices.map { $0 == 4 })
    #expect(flags == [3: [.zero], 4: [.nonFinite], 9: [.lowNorm]])
  }

  /// `fix-untrained` and `audit` apply one rule: on a matrix with all-zero, NaN, Inf and low-norm
  /// rows they flag the same rows for the same reasons.
  @Test func fixUntrainedAndAuditFlagTheSameRows() throws {
    let rows = 64
    let dimension = 8
    var values = [Float](repeating: 0, count: rows * dimension)
    var state: UInt32 = 12345
    for index in values.indices {
      state = state &* 1_664_525 &+ 1_013_904_223
      values[index] = 0.5 + Float(state >> 8) / Float(1 << 24)
    }
    let zero = [2, 40]
    let nan = [5]
    let infinite = [11, 50]
    let small = [17]
    for row in zero { for column in 0..<dimension { values[row * dimension + column] = 0 } }
    values[5 * dimension + 3] = .nan
    values[11 * dimension] = .infinity
    values[50 * dimension + 7] = -.infinity
    for column in 0..<dimension { values[17 * dimension + column] *= 1e-4 }
    var bytes: [UInt8] = []
    for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
    let scratch = try ScratchDirectory()
    let path = scratch.path("model.safetensors").path
    try SafeTensorsWriter.write(
      [
        TensorToWrite(
          name: "model.embed_tokens.weight", dtype: .F32, shape: [rows, dimension], segments: [.bytes(bytes)])
      ],
      to: FilePath(path))
    let model = try ModelCheckpoint.open(path)

    let audit = try ModelAudit(model: model)
    let fix = try FixUntrainedPlan(model: model, request: FixUntrainedRequest())
    let audited = audit.embedding.findings.filter { !$0.value.isDisjoint(with: RowFinding.untrained) }
    #expect(audit.embedding.rows(flagged: .zero) == zero)
    #expect(audit.embedding.rows(flagged: .nonFinite) == (nan + infinite).sorted())
    #expect(audit.embedding.rows(flagged: .lowNorm) == small)
    #expect(fix.rows.map(\.id) == audited.keys.sorted())
    #expect(fix.rows.map(\.id) == (zero + nan + infinite + small).sorted())
    for row in fix.rows {
      let findings = (audit.embedding.findings[row.id] ?? []).intersection(RowFinding.untrained).sorted()
      #expect(row.embedding == findings, "\(row.id)")
      #expect(row.head.isEmpty)
    }
  }

  /// Rows of no elements are all zero (numpy's `all` over an empty row is true) for both commands.
  @Test func rowsOfNoElementsAreAllZero() throws {
    let scratch = try ScratchDirectory()
    let path = scratch.path("model.safetensors").path
    try SafeTensorsWriter.write(
      [TensorToWrite(name: "model.embed_tokens.weight", dtype: .F32, shape: [3, 0], segments: [])], to: FilePath(path))
    let model = try ModelCheckpoint.open(path)
    let audit = try ModelAudit(model: model)
    let fix = try FixUntrainedPlan(model: model, request: FixUntrainedRequest())
    #expect(audit.embedding.rows(flagged: .zero) == [0, 1, 2])
    #expect(fix.rows.map(\.id) == [0, 1, 2])
    #expect(fix.rows.map(\.embedding) == [[.zero], [.zero], [.zero]])
  }
}

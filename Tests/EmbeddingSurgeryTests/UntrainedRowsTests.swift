import Testing

@testable import EmbeddingSurgery

@Suite struct UntrainedRowsTests {
  @Test func quantileAndMedianFollowNumpy() {
    // numpy.quantile([1, 2, 3, 4], 0.01) == 1.03; numpy.median([4, 1, 3, 2]) == 2.5
    #expect(abs(UntrainedRows.quantile([4, 1, 3, 2], 0.01) - 1.03) < 1e-12)
    #expect(UntrainedRows.median([4, 1, 3, 2]) == 2.5)
    #expect(UntrainedRows.median([5, 1, 3]) == 3)
  }

  @Test func onlyANormFarBelowTheRestAndBelowTheQuantileIsFlagged() {
    var norms = (0..<200).map { 1 + 0.01 * Double($0 % 20) }
    norms.append(1e-3)
    #expect(UntrainedRows.lowNormRows(norms: norms) == [200])
    // Equal norms: the MAD is zero, nothing is flagged.
    #expect(UntrainedRows.lowNormRows(norms: [1, 1, 1, 1, 1e-3, 1, 1]).isEmpty)
    // Far below the rest, but with many such rows none is below the 1% quantile.
    #expect(UntrainedRows.lowNormRows(norms: norms.map { _ in 1e-3 } + norms).isEmpty)
  }

  @Test func classifyCombinesReasons() {
    var scan = UntrainedRows.Scan(norms: (0..<300).map { 1 + 0.01 * Double($0 % 30) }, zeroRows: [3], nonFiniteRows: [4])
    scan.norms[3] = 0
    scan.norms[4] = .nan
    scan.norms[9] = 1e-4
    let flags = UntrainedRows.classify(scan)
    #expect(flags == [3: [.allZero], 4: [.nonFinite], 9: [.lowNorm]])
  }
}

import EmbeddingSurgery
import Testing

@Suite struct LowNormRuleTests {
  @Test func healthyGaussianNormsAreNotFlaggedButTinyRowsAre() {
    // Norms of healthy rows cluster within a few percent (a chi distribution with many degrees of
    // freedom): the z-score alone would flag ~2·10⁻⁴ of them; the rule must flag none.
    var generator = SeededGenerator(seed: 11)
    var norms = (0..<200_000).map { _ in 0.64 * (1 + 0.022 * generator.nextNormal()) }
    #expect(RowAuditRules.lowNormRows(norms: norms).rows.isEmpty)
    norms[17] = 0.64e-3
    norms[123_456] = 0.2
    #expect(RowAuditRules.lowNormRows(norms: norms).rows == [17, 123_456])
  }
}

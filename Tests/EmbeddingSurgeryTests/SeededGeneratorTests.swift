import EmbeddingSurgery
import Foundation
import Testing

@Suite struct SeededGeneratorTests {
  @Test func sameSeedSameSequenceOtherSeedOtherSequence() {
    var a = SeededGenerator(seed: 42)
    var b = SeededGenerator(seed: 42)
    var c = SeededGenerator(seed: 43)
    let first = (0..<100).map { _ in a.nextNormal() }
    #expect(first == (0..<100).map { _ in b.nextNormal() })
    #expect(first != (0..<100).map { _ in c.nextNormal() })
  }

  @Test func firstOutputsArePinned() {
    // xoshiro256** seeded by SplitMix64(0), computed independently in Python: a change of the
    // generator (which would change every `random` checkpoint) fails here.
    var generator = SeededGenerator(seed: 0)
    let bits = (0..<3).map { _ in generator.next() }
    #expect(bits == [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0])
  }

  @Test func logarithmMatchesTheLibrary() {
    for x in [1e-300, 1e-10, 0.1, 0.5, 0.7071, 0.99999, 1, 1.5, 2, 10, 12345.678] {
      #expect(abs(SeededGenerator.naturalLogarithm(x) - Foundation.log(x)) <= 4e-16 * max(1, abs(Foundation.log(x))))
    }
  }

  @Test func normalDeviatesHaveUnitMoments() {
    var generator = SeededGenerator(seed: 1)
    let samples = (0..<200_000).map { _ in generator.nextNormal() }
    let mean = samples.reduce(0, +) / Double(samples.count)
    let variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(samples.count)
    #expect(abs(mean) < 0.01)
    #expect(abs(variance - 1) < 0.01)
  }
}

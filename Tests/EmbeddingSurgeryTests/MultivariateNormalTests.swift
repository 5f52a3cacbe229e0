import EmbeddingSurgery
import Foundation
import SystemPackage
import TestSupport
import Testing

@Suite struct MultivariateNormalTests {
  func resize(
    _ folder: URL, tokens: [String], noiseScale: Double, seed: UInt64 = 7, output: URL
  ) throws -> ResizeReport {
    var request = ResizeRequest(tokens: tokens, initialization: .mvn, seed: seed)
    request.noiseScale = try #require(NoiseScale(noiseScale))
    let plan = try ResizePlan(model: try ModelCheckpoint.open(folder.path), request: request)
    return try plan.execute(into: .path(FilePath(output.path), replacingExisting: false))
  }

  @Test func choleskyFactorOfAKnownMatrix() throws {
    // A = L·Lᵀ with L = [[2,0,0],[1,3,0],[-1,0.5,1]].
    let a: [Double] = [4, 2, -2, 2, 10, 0.5, -2, 0.5, 2.25]
    let factor = try #require(CholeskyFactor(a, dimension: 3))
    let expected: [Double] = [2, 0, 0, 1, 3, 0, -1, 0.5, 1]
    for (got, want) in zip(factor.lower, expected) { #expect(abs(got - want) < 1e-12) }
    #expect(factor.multiply([1, 1, 1]) == [2, 4, 0.5])
    #expect(CholeskyFactor([1, 2, 2, 1], dimension: 2) == nil)  // indefinite
    #expect(CholeskyFactor([1, 1, 1, 1], dimension: 2) == nil)  // singular
  }

  @Test func covarianceMatchesTheDirectSum() {
    let rows: [[Float]] = [[1, 2, 0.5], [3, -1, 2], [0, 0.25, -1], [2, 2, 2]]
    let mean = (0..<3).map { c in rows.map { Double($0[c]) }.reduce(0, +) / 4 }
    var covariance = CovarianceMatrix(mean: mean)
    let bytes = rows.flatMap { $0 }.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
    bytes.withUnsafeBytes { covariance.accumulate(RowWindow($0, rowCount: 4, dimension: 3, format: .float32)) }
    let result = covariance.covariance
    for i in 0..<3 {
      for j in 0..<3 {
        let want = rows.map { (Double($0[i]) - mean[i]) * (Double($0[j]) - mean[j]) }.reduce(0, +) / 4
        #expect(abs(result[i * 3 + j] - want) < 1e-6)
      }
    }
  }

  @Test func sampledRowsHaveTheMeanAndScaledCovarianceOfTheReference() throws {
    let scratch = try ScratchDirectory()
    var reference = ReferenceModel()
    reference.dtype = "F32"
    reference.rows = 200
    reference.vocabulary = 200
    reference.dimension = 4
    reference.bias = nil
    let folder = scratch.path("model")
    try reference.make(in: folder)
    let output = scratch.path("out")
    let tokens = (0..<3000).map { "<t\($0)>" }
    let report = try resize(folder, tokens: tokens, noiseScale: 1, output: output)
    #expect(report.added.allSatisfy { $0.initialization == .mvn })
    #expect(report.notes.isEmpty, "\(report.notes)")
    var expectation = HygieneModel.Expectation(dtype: "F32", rows: 200, rowsAfter: 3200, targets: [:])
    for id in 200..<3200 { expectation.targets[id] = .mvn }
    expectation.excludingFlagged = false
    expectation.noiseScale = 1
    let failures = try HygieneModel.verify(model: folder, output: output, expectation)
    #expect(failures.isEmpty, "\(failures)")
    // Same seed, same bytes; another seed, other bytes.
    _ = try resize(folder, tokens: tokens, noiseScale: 1, output: scratch.path("again"))
    _ = try resize(folder, tokens: tokens, noiseScale: 1, seed: 8, output: scratch.path("other"))
    let bytes = try ["out", "again", "other"].map { try Data(contentsOf: scratch.path("\($0)/model.safetensors")) }
    #expect(bytes[0] == bytes[1] && bytes[0] != bytes[2])
  }

  @Test func bf16RoundingThatErasesTheNoiseIsReported() throws {
    let scratch = try ScratchDirectory()
    var reference = ReferenceModel()
    reference.bias = nil
    let folder = scratch.path("model")
    try reference.make(in: folder)
    let output = scratch.path("out")
    let report = try resize(folder, tokens: ["<a>", "<b>"], noiseScale: 1e-12, output: output)
    #expect(report.notes.filter { $0.contains("BF16 rounding erased the mvn noise") }.count == 2)
    #expect(report.added.allSatisfy { $0.initialization == .mvn })
    var expectation = HygieneModel.Expectation(dtype: "BF16", rows: 40, rowsAfter: 42, targets: [40: .mean, 41: .mean])
    expectation.excludingFlagged = false
    let failures = try HygieneModel.verify(model: folder, output: output, expectation)
    #expect(failures.isEmpty, "\(failures)")
  }

  @Test func covarianceThatIsNotPositiveDefiniteFallsBackToMean() throws {
    let scratch = try ScratchDirectory()
    var reference = ReferenceModel()
    reference.rows = 10
    reference.vocabulary = 10
    reference.zeroRows = []
    reference.dtype = "F32"
    let folder = scratch.path("model")
    try reference.make(in: folder)
    let output = scratch.path("out")
    let report = try resize(folder, tokens: ["<a>", "<b>"], noiseScale: 1, output: output)
    #expect(report.notes.filter { $0.contains("not positive definite: the mvn rule fell back to mean") }.count == 2)
    #expect(report.added.allSatisfy { $0.initialization == .mean })
    try reference.expectVerified(model: folder, output: output.path, report: report, rule: .mean)
  }
}

import EmbeddingSurgery
import Foundation
import StrictJSON
import TestSupport
import Testing

/// The pursuit kernel against the plain rule in float64 numpy (Tests/Reference/omp_reference.py),
/// on planted sparse combinations, and across thread counts and group sizes.
@Suite struct OrthogonalMatchingPursuitTests {
  /// Rows of seeded normal deviates, some rows scaled, some zero, some repeated.
  static func matrix(rows: Int, width: Int, seed: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    var values = (0..<rows * width).map { _ in Float(generator.nextNormal()) }
    for row in stride(from: 3, to: rows, by: 17) {
      let scale: Float = row % 2 == 0 ? 40 : 0.01
      for column in 0..<width { values[row * width + column] *= scale }
    }
    return values
  }

  static func codes(
    _ dictionary: [Float], anchors: Int, width: Int, _ targets: [Float], k: Int, threads: Int,
    memoryBudget: Int = OrthogonalMatchingPursuit.defaultMemoryBudget,
    kernel: OrthogonalMatchingPursuit.CorrelationKernel = .fastest
  ) -> SparseCodes {
    dictionary.withUnsafeBufferPointer { dictionary in
      targets.withUnsafeBufferPointer { targets in
        OrthogonalMatchingPursuit.codes(
          dictionary: dictionary, anchorCount: anchors, width: width, targets: targets,
          targetCount: targets.count / max(width, 1), k: k, threads: threads, memoryBudget: memoryBudget,
          kernel: kernel)
      }
    }
  }

  /// The kernels this processor runs (`sgemm` always; bfloat16 on AVX-512 BF16 processors, as
  /// this project's CI machines are).
  static let kernels = OrthogonalMatchingPursuit.CorrelationKernel.allCases.filter(\.isAvailable)

  /// The bfloat16 kernel is there exactly where the kernel (Linux's /proc/cpuinfo) reports
  /// AVX-512 F, VL and BF16, and it is then the fastest.
  @Test func theBFloat16KernelIsFoundWhereTheProcessorHasIt() throws {
    let cpu = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
    let flags = Set(cpu.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ") ?? [])
    let has = ["avx512f", "avx512vl", "avx512_bf16"].allSatisfy { flags.contains(Substring($0)) }
    #expect(OrthogonalMatchingPursuit.CorrelationKernel.bfloat16.isAvailable == has)
    #expect(OrthogonalMatchingPursuit.CorrelationKernel.fastest == (has ? .bfloat16 : .sgemm))
  }

  @Test(arguments: kernels)
  func matchesTheNumpyReference(kernel: OrthogonalMatchingPursuit.CorrelationKernel) throws {
    let anchors = 300
    let width = 48
    let k = 12
    var dictionary = Self.matrix(rows: anchors, width: width, seed: 7)
    // A zero atom, and atom 21 repeated as 251 (an exact tie the lowest index wins; never both chosen).
    for column in 0..<width {
      dictionary[5 * width + column] = 0
      dictionary[251 * width + column] = dictionary[21 * width + column]
    }
    var targets = Self.matrix(rows: 40, width: width, seed: 8)
    for column in 0..<width {
      targets[column] = 0  // a zero target: no atom
      targets[width + column] = dictionary[20 * width + column] * 3  // one atom: stops after one step
    }
    let codes = Self.codes(dictionary, anchors: anchors, width: width, targets, k: k, threads: 2, kernel: kernel)
    let reference = try Self.reference(dictionary, anchors: anchors, width: width, targets, k: k)
    #expect(reference.count == 40)
    var fullyCompared = 0
    for (target, expected) in reference.enumerated() {
      // The choices are those of the exact correlations, whatever the kernel's rounding: only two
      // best correlations within the `Double` refits' differences (lstsq here, Cholesky there)
      // may flip.
      let comparable = expected.gaps.firstIndex { $0 < 1e-9 } ?? expected.atoms.count
      let atoms = Array(codes.atoms(of: target))
      #expect(Array(atoms.prefix(comparable)) == Array(expected.atoms.prefix(comparable).map(Int32.init)))
      guard comparable == expected.atoms.count else { continue }
      fullyCompared += 1
      #expect(atoms.count == expected.atoms.count, "target \(target)")
      let coefficients = codes.coefficients[target * k..<target * k + atoms.count]
      let largest = expected.coefficients.reduce(1) { max($0, abs($1)) }
      for (actual, wanted) in zip(coefficients, expected.coefficients) {
        #expect(abs(Double(actual) - wanted) <= 1e-4 * largest, "target \(target): \(actual) vs \(wanted)")
      }
      #expect(abs(Double(codes.relativeResiduals[target]) - expected.residual) <= 1e-5, "target \(target)")
      for slot in atoms.count..<k {
        #expect(codes.atoms[target * k + slot] == -1 && codes.coefficients[target * k + slot] == 0)
      }
    }
    #expect(!codes.atoms.contains(251) && codes.atoms.contains(21))
    #expect(fullyCompared >= 39, "\(fullyCompared) of 40 targets compared to the end")
    #expect(codes.atoms(of: 0).isEmpty && codes.relativeResiduals[0] == 0)
    #expect(Array(codes.atoms(of: 1)) == [20] && codes.relativeResiduals[1] < 1e-6)
    // Real pursuits run to k: the targets are not sparse in this dictionary.
    #expect((2..<40).allSatisfy { codes.atoms(of: $0).count == k })
  }

  @Test func recoversAPlantedSparseCombination() {
    let anchors = 500
    let width = 128
    var generator = SeededGenerator(seed: 11)
    let dictionary = (0..<anchors * width).map { _ in Float(generator.nextNormal()) }
    var planted: [[(Int, Float)]] = []
    var targets = [Float](repeating: 0, count: 20 * width)
    for target in 0..<20 {
      var atoms: Set<Int> = []
      while atoms.count < 5 { atoms.insert(Int(generator.next() % UInt64(anchors))) }
      let pairs = atoms.sorted().map {
        ($0, Float(0.5 + 1.5 * generator.nextUniform()) * (generator.next() % 2 == 0 ? 1 : -1))
      }
      planted.append(pairs)
      for (atom, coefficient) in pairs {
        for column in 0..<width { targets[target * width + column] += coefficient * dictionary[atom * width + column] }
      }
    }
    let codes = Self.codes(dictionary, anchors: anchors, width: width, targets, k: 16, threads: 2)
    for (target, pairs) in planted.enumerated() {
      let atoms = codes.atoms(of: target)
      // Exactly the planted atoms, then the pursuit stops: the residual is zero.
      #expect(Set(atoms.map(Int.init)) == Set(pairs.map(\.0)), "target \(target)")
      #expect(atoms.count == 5)
      for (position, atom) in atoms.enumerated() {
        let wanted = pairs.first { $0.0 == Int(atom) }?.1 ?? .nan
        #expect(abs(codes.coefficients[target * 16 + position] - wanted) <= 1e-5 * max(1, abs(wanted)))
      }
      #expect(codes.relativeResiduals[target] < 1e-5)
    }
  }

  @Test func sameBytesOn1_2And7ThreadsAndInGroupsOfAnySize() {
    let anchors = 300
    let width = 32
    let k = 16
    let dictionary = Self.matrix(rows: anchors, width: width, seed: 21)
    let targets = Self.matrix(rows: 200, width: width, seed: 22)
    // The default budget: one group of the 200 targets. A budget of 30 targets: groups of 30 (the
    // last of 20), so a target's product has other rows beside it.
    let share = OrthogonalMatchingPursuit.Plan.targetBytes(anchorCount: anchors, width: width, k: k)
    for budget in [OrthogonalMatchingPursuit.defaultMemoryBudget, 30 * share] {
      func bits(_ threads: Int) -> [UInt32] {
        let codes = Self.codes(
          dictionary, anchors: anchors, width: width, targets, k: k, threads: threads, memoryBudget: budget)
        return codes.atoms.map { UInt32(bitPattern: $0) } + codes.coefficients.map(\.bitPattern)
          + codes.relativeResiduals.map(\.bitPattern)
      }
      let one = bits(1)
      #expect(bits(2) == one)
      #expect(bits(7) == one)
      for kernel in Self.kernels {
        let codes = Self.codes(
          dictionary, anchors: anchors, width: width, targets, k: k, threads: 2, memoryBudget: budget, kernel: kernel)
        #expect(
          codes.atoms.map { UInt32(bitPattern: $0) } + codes.coefficients.map(\.bitPattern)
            + codes.relativeResiduals.map(\.bitPattern) == one, "\(kernel)")
      }
    }
  }

  /// Two atoms whose correlations no `Float` product tells apart (the second is the first × (1 +
  /// 2⁻²⁰): the same bfloat16 row, and correlations within `sgemm`'s rounding): the pursuit takes
  /// the larger, the second, as the exact rule does, where the largest approximate correlation
  /// would give the first (the lowest index of a tie).
  @Test(arguments: kernels)
  func choosesTheExactLargestWhereTheProductCannotTell(kernel: OrthogonalMatchingPursuit.CorrelationKernel) throws {
    let anchors = 400
    let width = 64
    var generator = SeededGenerator(seed: 31)
    var dictionary = (0..<anchors * width).map { _ in Float(generator.nextNormal()) }
    for column in 0..<width {
      // Bfloat16 values, so that both round to the same bfloat16 row.
      let value = Float(bitPattern: dictionary[4 * width + column].bitPattern & 0xFFFF_0000)
      dictionary[4 * width + column] = value
      dictionary[390 * width + column] = value * (1 + 0x1p-20)
    }
    // Targets close to atom 4's direction (plus a little of others): atom 4 or 390 comes first.
    var targets = [Float](repeating: 0, count: 8 * width)
    for target in 0..<8 {
      for column in 0..<width {
        targets[target * width + column] =
          dictionary[4 * width + column] * Float(1 + target) + 0.01 * Float(generator.nextNormal())
      }
    }
    let codes = Self.codes(dictionary, anchors: anchors, width: width, targets, k: 4, threads: 2, kernel: kernel)
    let reference = try Self.reference(dictionary, anchors: anchors, width: width, targets, k: 4)
    for target in 0..<8 {
      #expect(codes.atoms(of: target).first == 390, "target \(target)")
      #expect(reference[target].atoms.first == 390)
    }
    // The bounds left a block or a few of 32 atoms per choice to compute exactly, not all 13.
    #expect(codes.exactCorrelations > 0 && codes.exactCorrelations <= codes.targetSteps * 3 * 32)
  }

  /// Rows and targets whose magnitudes span 2⁻¹⁴⁰ to 2⁹⁰ (products that underflow to zero, that
  /// bfloat16 flushes, and that overflow `Float`), a NaN row, a zero row and an exact copy: both
  /// kernels give the same bytes, the NaN row is never chosen, and each target's first atom is the
  /// one with the largest |correlation| computed in `Double` by brute force.
  @Test func extremeMagnitudesGiveTheExactChoices() {
    let anchors = 257
    let width = 41  // odd: the last bfloat16 pair is half padding
    var generator = SeededGenerator(seed: 41)
    var dictionary = (0..<anchors * width).map { _ in Float(generator.nextNormal()) }
    for row in 0..<anchors {
      let exponent = [-140, -126, -100, -60, -20, 0, 0, 0, 20, 60, 90][row % 11]
      for column in 0..<width {
        dictionary[row * width + column] *= Float(sign: .plus, exponent: exponent, significand: 1)
      }
    }
    for column in 0..<width {
      dictionary[7 * width + column] = .nan
      dictionary[8 * width + column] = 0
      dictionary[200 * width + column] = dictionary[9 * width + column]
    }
    var targets = [Float](repeating: 0, count: 30 * width)
    for target in 0..<30 {
      let exponent = [-100, -40, 0, 30, 60][target % 5]
      for column in 0..<width {
        targets[target * width + column] =
          Float(generator.nextNormal()) * Float(sign: .plus, exponent: exponent, significand: 1)
      }
    }
    let results = Self.kernels.map { kernel in
      Self.codes(dictionary, anchors: anchors, width: width, targets, k: 6, threads: 2, kernel: kernel)
    }
    for codes in results {
      #expect(!codes.atoms.contains(7))
      #expect(
        codes.atoms == results[0].atoms
          && codes.coefficients.map(\.bitPattern) == results[0].coefficients.map(\.bitPattern))
      for target in 0..<30 {
        var best = 0.0
        var expected: Int32 = -1
        for atom in 0..<anchors {
          var sum = 0.0
          for column in 0..<width {
            sum += Double(dictionary[atom * width + column]) * Double(targets[target * width + column])
          }
          if abs(sum) > best {
            best = abs(sum)
            expected = Int32(atom)
          }
        }
        #expect(codes.atoms(of: target).first == expected, "target \(target)")
      }
    }
  }

  @Test func theBudgetBoundsTheMemory() {
    // Gemma-3-270M given SmolLM2: 46,148 anchors of 576, 3,004 targets, k 64.
    typealias Plan = OrthogonalMatchingPursuit.Plan
    let share = Plan.targetBytes(anchorCount: 46_148, width: 576, k: 64)
    #expect(share == (46_148 + 576) * 4 + (576 + 64 * 64) * 8)
    let plan = Plan(anchorCount: 46_148, width: 576, k: 64, targetCount: 3_004, memoryBudget: 256 << 20)
    #expect(plan.groupRows == 252)
    #expect(plan.groupRows * share <= 256 << 20)
    // A budget of 100 shares: groups of 100; never more rows than targets, at least one.
    #expect(
      Plan(anchorCount: 46_148, width: 576, k: 64, targetCount: 3_004, memoryBudget: 100 * share).groupRows == 100)
    #expect(Plan(anchorCount: 300, width: 16, k: 8, targetCount: 40, memoryBudget: 256 << 20).groupRows == 40)
    #expect(Plan(anchorCount: 300, width: 16, k: 8, targetCount: 40, memoryBudget: 1).groupRows == 1)
  }

  struct Expected {
    var atoms: [Int]
    var coefficients: [Double]
    var residual: Double
    var gaps: [Double]
  }

  static func reference(_ dictionary: [Float], anchors: Int, width: Int, _ targets: [Float], k: Int) throws
    -> [Expected]
  {
    let scratch = try ScratchDirectory()
    let dictionaryFile = scratch.path("dictionary.f32")
    let targetsFile = scratch.path("targets.f32")
    try dictionary.withUnsafeBytes { try Data($0).write(to: dictionaryFile) }
    try targets.withUnsafeBytes { try Data($0).write(to: targetsFile) }
    let specification = JSONWriter.string(
      .object([
        JSONMember("dictionary", .string(dictionaryFile.path)), JSONMember("targets", .string(targetsFile.path)),
        JSONMember("anchors", .number(JSONNumber(anchors))), JSONMember("width", .number(JSONNumber(width))),
        JSONMember("count", .number(JSONNumber(targets.count / width))), JSONMember("k", .number(JSONNumber(k))),
      ]))
    let script = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Reference/omp_reference.py").path
    let output = try TestEnvironment.run(try TestEnvironment.python(), [script, specification])
    func numbers(_ value: JSONValue?) -> [Double] { value?.elements?.compactMap { $0.number?.double } ?? [] }
    return try #require(try JSONParser.parse(Array(output)).elements).map { entry in
      Expected(
        atoms: numbers(entry["atoms"]).map { Int($0) }, coefficients: numbers(entry["coefficients"]),
        residual: entry["residual"]?.number?.double ?? .nan, gaps: numbers(entry["gaps"]))
    }
  }
}

import Benchmark
import EmbeddingSurgery
import Foundation
import SafeTensors
import SystemPackage

/// The orthogonal matching pursuit of `transplant --init omp` at the shape of Gemma-3-270M given
/// SmolLM2's tokenizer: about 45,000 anchors (donor rows of matched tokens) of 576 floats, k 64.
/// `transplant` approximates 3,004 targets; these benchmarks pursue fewer, so the time per
/// target is what to compare (whole run ≈ time × 3,004 / M).
let pursuitAnchors = 45_000
let pursuitWidth = 576
let pursuitK = 64

/// Rows with the structure that makes some atoms popular, as embedding rows have: a shared
/// direction, a few dozen shared directions, and norms spread over a factor of ten.
func syntheticRows(_ count: Int, seed: UInt64) -> [Float] {
  var generator = SeededGenerator(seed: 1)
  let shared = (0..<33 * pursuitWidth).map { _ in Float(generator.nextNormal()) }
  generator = SeededGenerator(seed: seed)
  var rows = [Float](repeating: 0, count: count * pursuitWidth)
  for row in 0..<count {
    let scale = Float(0.3 + 3 * generator.nextUniform() * generator.nextUniform())
    let direction = 1 + Int(generator.next() % 32)
    let weight = Float(generator.nextNormal())
    for column in 0..<pursuitWidth {
      let noise = Float(generator.nextNormal())
      rows[row * pursuitWidth + column] =
        scale * (noise + 0.5 * shared[column] + weight * shared[direction * pursuitWidth + column])
    }
  }
  return rows
}

/// SmolLM2-135M's embedding rows as f32 (49,152 × 576), from the folder scripts/convert-smollm2 makes.
func smolLM2Rows() throws -> [Float] {
  let file = try SafeTensorsFile(
    path: FilePath(repositoryRoot + "/.build-py/thirdparty/smollm2-135m-hf/model.safetensors"))
  guard let tensor = file.header.tensors.first(where: { $0.name.description == "model.embed_tokens.weight" })
  else { throw CocoaError(.fileReadCorruptFile) }
  let bytes = file.data(of: tensor)
  var rows = [Float](repeating: 0, count: bytes.count / 2)
  bytes.withUnsafeBytes { source in
    rows.withUnsafeMutableBufferPointer { FloatingPointFormat.bfloat16.decode(source, into: $0) }
  }
  return rows
}

/// Prints the pursuit's work and the mean residual of a run to standard error (not a metric).
func report(_ name: String, _ codes: SparseCodes) {
  let residual = codes.relativeResiduals.reduce(0, +) / Float(max(1, codes.targetCount))
  FileHandle.standardError.write(
    Data(
      ("\(name): \(codes.targetCount) targets, \(codes.correlationProducts) products "
        + "(\(OrthogonalMatchingPursuit.CorrelationKernel.fastest.rawValue)) computing \(codes.correlationRows) "
        + "rows of correlations for \(codes.targetSteps) atoms chosen, \(codes.exactCorrelations) correlations "
        + "computed exactly to choose them, mean relative residual \(residual)\n").utf8))
}

/// Runs the pursuit of `targetCount` targets over the dictionary once per scaled iteration and
/// prints its counters under `label`.
private func pursue(
  _ benchmark: Benchmark, label: String, dictionary: [Float], targets: [Float], targetCount: Int, threads: Int
) {
  for _ in benchmark.scaledIterations {
    let codes = dictionary.withUnsafeBufferPointer { dictionary in
      targets.withUnsafeBufferPointer { targets in
        OrthogonalMatchingPursuit.codes(
          dictionary: dictionary, anchorCount: pursuitAnchors, width: pursuitWidth, targets: targets,
          targetCount: targetCount, k: pursuitK, threads: threads)
      }
    }
    report(label, codes)
    blackHole(codes)
  }
}

func registerPursuitBenchmarks() {
  let threads = ProcessInfo.processInfo.activeProcessorCount
  // Synthetic: 45,000 anchors, 256 targets, k 64.
  nonisolated(unsafe) var dictionary: [Float] = []
  nonisolated(unsafe) var targets: [Float] = []
  Benchmark(
    "OMP-Synthetic-45000x576-k64-M256",
    configuration: .init(metrics: [.wallClock, .peakMemoryResident], maxDuration: .seconds(60), maxIterations: 3)
  ) { benchmark in
    pursue(
      benchmark, label: "OMP-Synthetic", dictionary: dictionary, targets: targets, targetCount: 256, threads: threads)
  } setup: {
    dictionary = syntheticRows(pursuitAnchors, seed: 2)
    targets = syntheticRows(256, seed: 3)
  } teardown: {
    dictionary = []
    targets = []
  }

  // Real rows: SmolLM2's first 45,000 rows as the dictionary, 512 of its last 4,152 as targets.
  Benchmark(
    "OMP-SmolLM2-45000x576-k64-M512",
    configuration: .init(metrics: [.wallClock, .peakMemoryResident], maxDuration: .seconds(60), maxIterations: 3)
  ) { benchmark in
    pursue(
      benchmark, label: "OMP-SmolLM2", dictionary: dictionary, targets: targets, targetCount: 512, threads: threads)
  } setup: {
    let rows = try smolLM2Rows()
    dictionary = Array(rows[0..<pursuitAnchors * pursuitWidth])
    targets = []
    for target in 0..<512 {
      let row = pursuitAnchors + target * 8
      targets += rows[row * pursuitWidth..<(row + 1) * pursuitWidth]
    }
  } teardown: {
    dictionary = []
    targets = []
  }
}

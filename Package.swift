// swift-tools-version: 6.1

import PackageDescription

let package = Package(
  name: "embsurgery",
  products: [
    .library(name: "EmbeddingSurgery", targets: ["EmbeddingSurgery"]),
    .library(name: "SafeTensors", targets: ["SafeTensors"]),
    .library(name: "Tokenization", targets: ["Tokenization"]),
    .executable(name: "embsurgery", targets: ["embsurgery"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2")
  ],
  targets: [
    // Netlib CBLAS from Debian's libblas-dev; OpenBLAS can replace libblas.so.3 at run time.
    .systemLibrary(
      name: "CBLAS",
      providers: [.apt(["libblas-dev"])]
    ),
    // The few system calls Glibc's Swift module does not expose (copy_file_range). Not named
    // CSystem: swift-system (which the nested Benchmarks package pulls in) has a target of that name.
    .target(name: "CEmbSurgerySystem", path: "Sources/CSystem"),
    // A strict, order-preserving JSON reader with source spans, and a writer.
    .target(name: "StrictJSON"),
    // Memory-mapped safetensors files: strict reader, streaming writer, sharded index.
    .target(name: "SafeTensors", dependencies: ["StrictJSON"]),
    // tokenizer.json: loading, encoding, editing; tokenizer_config.json and config.json edits.
    .target(name: "Tokenization", dependencies: ["StrictJSON"]),
    // The engine and public library API.
    .target(
      name: "EmbeddingSurgery",
      dependencies: ["CBLAS", "CEmbSurgerySystem", "SafeTensors", "Tokenization", "StrictJSON"]
    ),
    .executableTarget(
      name: "embsurgery",
      dependencies: [
        "EmbeddingSurgery", "Tokenization", "StrictJSON",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(name: "StrictJSONTests", dependencies: ["StrictJSON"]),
    .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "TestSupport"]),
    .testTarget(
      name: "TokenizationTests", dependencies: ["Tokenization", "TestSupport"],
      exclude: ["Resources"]),
    .testTarget(
      name: "EmbeddingSurgeryTests",
      dependencies: ["EmbeddingSurgery", "SafeTensors", "Tokenization", "TestSupport"]
    ),
    .testTarget(
      name: "CommandLineTests",
      dependencies: ["SafeTensors", "TestSupport", "embsurgery"]
    ),
    // Helpers shared by the test targets: scratch folders, the Python reference, third-party files.
    .target(name: "TestSupport", path: "Tests/TestSupport"),
  ],
  swiftLanguageModes: [.v6]
)

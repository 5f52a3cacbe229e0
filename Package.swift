// swift-tools-version: 6.1

import PackageDescription

let package = Package(
  name: "embsurgery",
  products: [
    .library(name: "EmbeddingSurgery", targets: ["EmbeddingSurgery"]),
    .library(name: "SafeTensors", targets: ["SafeTensors"]),
    .library(name: "Tokenization", targets: ["Tokenization"]),
    .library(name: "StrictJSON", targets: ["StrictJSON"]),
    .library(name: "FileSystem", targets: ["FileSystem"]),
    .executable(name: "embsurgery", targets: ["embsurgery"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
    .package(url: "https://github.com/apple/swift-system.git", exact: "1.8.1"),
  ],
  targets: [
    // Netlib CBLAS from Debian's libblas-dev; OpenBLAS can replace libblas.so.3 at run time.
    .systemLibrary(
      name: "CBLAS",
      providers: [.apt(["libblas-dev"])]
    ),
    // The system calls Swift cannot call directly (copy_file_range, the FICLONE ioctls). Not
    // named CSystem: swift-system has a target of that name.
    .target(name: "CFileSystem"),
    // For the release executable linked against an older glibc (scripts/package): the symbols
    // the toolchain's static libraries take from a newer one. Empty against the system's glibc.
    .target(name: "CGlibcCompatibility"),
    // The pursuit's correlations with AVX-512 BF16 (vdpbf16ps), in assembly so that debug builds
    // run them at full speed too; used only on processors that have the instruction.
    .target(name: "CBFloat16Products"),
    // The file-system layer: swift-system's FilePath, Errno and FileDescriptor, plus what it
    // lacks (mmap, copy_file_range, FICLONE, fstatfs, signals), each system call wrapped once.
    .target(
      name: "FileSystem",
      dependencies: ["CFileSystem", .product(name: "SystemPackage", package: "swift-system")]
    ),
    // A strict, order-preserving JSON reader with source spans, and a writer.
    .target(name: "StrictJSON"),
    // Memory-mapped safetensors files: strict reader, streaming writer, sharded index.
    .target(name: "SafeTensors", dependencies: ["FileSystem", "StrictJSON"]),
    // tokenizer.json: loading, encoding, editing; tokenizer_config.json and config.json edits.
    .target(name: "Tokenization", dependencies: ["FileSystem", "StrictJSON"]),
    // The engine and public library API.
    .target(
      name: "EmbeddingSurgery",
      dependencies: ["CBFloat16Products", "CBLAS", "FileSystem", "SafeTensors", "Tokenization", "StrictJSON"],
      // The kernels check their buffers' counts in debug builds (and so in `swift test`).
      swiftSettings: [.define("EMBSURGERY_INTERNAL_CHECKS", .when(configuration: .debug))]
    ),
    .executableTarget(
      name: "embsurgery",
      dependencies: [
        "CGlibcCompatibility", "EmbeddingSurgery", "FileSystem", "SafeTensors", "Tokenization", "StrictJSON",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "SystemPackage", package: "swift-system"),
      ]
    ),
    .testTarget(name: "FileSystemTests", dependencies: ["FileSystem", "TestSupport"]),
    .testTarget(name: "StrictJSONTests", dependencies: ["StrictJSON"]),
    .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "TestSupport"]),
    .testTarget(
      name: "TokenizationTests", dependencies: ["Tokenization", "TestSupport"],
      exclude: ["Resources"]),
    .testTarget(
      name: "EmbeddingSurgeryTests",
      dependencies: [
        "EmbeddingSurgery", "FileSystem", "SafeTensors", "Tokenization", "TestSupport",
        .product(name: "SystemPackage", package: "swift-system"),
      ]
    ),
    .testTarget(
      name: "CommandLineTests",
      dependencies: ["FileSystem", "SafeTensors", "TestSupport", "embsurgery"]
    ),
    // Helpers shared by the test targets: scratch folders, the Python reference, third-party files.
    .target(name: "TestSupport", dependencies: ["StrictJSON"], path: "Tests/TestSupport"),
  ],
  swiftLanguageModes: [.v6]
)

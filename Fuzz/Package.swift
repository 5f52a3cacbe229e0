// swift-tools-version: 6.1

// The libFuzzer targets of embsurgery: a package of its own, built by `scripts/fuzz` with
// `--sanitize fuzzer --sanitize address` in release mode, so that the main package never
// depends on fuzzing. Each target defines `LLVMFuzzerTestOneInput`; libFuzzer provides `main`.

import PackageDescription

import struct Foundation.URL

// A path dependency is named after its folder: the parent package's checkout may be called anything.
let parentIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().lastPathComponent.lowercased()

/// The fuzz targets; each is the executable `Fuzz<name>` built from `Sources/Fuzz<name>`.
let targets = [
  "SafeTensorsHeader", "ShardIndex", "SharingLayout", "StrictJSON", "TokenBytes", "Tokenizer", "Trim", "Extend",
  "SplitPattern",
]

let package = Package(
  name: "embsurgery-fuzz",
  dependencies: [.package(path: "..")],
  targets: targets.map { name in
    .executableTarget(
      name: "Fuzz" + name,
      dependencies: [
        "FuzzSupport",
        .product(name: "SafeTensors", package: parentIdentity),
        .product(name: "StrictJSON", package: parentIdentity),
        .product(name: "Tokenization", package: parentIdentity),
      ],
      swiftSettings: [.unsafeFlags(["-parse-as-library"])]
    )
  } + [
    // What the generating targets share (the input reader, invariant checks). Built with the
    // same flags as the targets: scripts/fuzz passes the coverage flags to every module.
    .target(name: "FuzzSupport", dependencies: [.product(name: "StrictJSON", package: parentIdentity)])
  ],
  swiftLanguageModes: [.v6]
)

import Foundation
import SafeTensors
import StrictJSON
import SystemPackage
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `resize` and `fix-untrained` on copy-on-write file systems (loop-mounted XFS with reflink and
/// btrfs, as root), on tmpfs, and on the machine's own file system: the output shares the input's
/// unchanged blocks where the file system can, and its tensors are exactly those of the same surgery
/// anywhere else.
@Suite(.serialized) struct CopyOnWriteTests {
  static let rows = 24_000
  static let dimension = 2048

  /// A Llama-shaped BF16 model of about 215 MB (embedding and untied head [24000, 2048], two
  /// [2048, 2048] weights, a norm, and tensors of unaligned sizes) with bytes that differ in every
  /// block, and a token file of `tokens` new tokens.
  static func makeModel(in folder: URL, tokens: Int = 1000) throws -> (model: URL, tokens: URL) {
    let model = folder.appendingPathComponent("model")
    try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
    // One MiB of small BF16 values (exponent around 2^-7, so that means are ordinary numbers),
    // repeated with the first word of every 4 KiB block made unique: no two blocks are alike.
    var state: UInt64 = 0x1234_5678
    var pattern = [UInt16](repeating: 0, count: 1 << 19)
    for index in pattern.indices {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      pattern[index] = UInt16(0x3C00) | UInt16(truncatingIfNeeded: state >> 49) & 0x83FF
    }
    var block: UInt16 = 0
    func bytes(_ count: Int) -> [UInt8] {
      var result = [UInt8](repeating: 0, count: count)
      result.withUnsafeMutableBytes { target in
        pattern.withUnsafeBytes { source in
          var offset = 0
          while offset < count {
            let length = min(source.count, count - offset)
            target.baseAddress!.advanced(by: offset).copyMemory(from: source.baseAddress!, byteCount: length)
            var position = offset
            while position + 2 <= offset + length {
              block &+= 1
              target.storeBytes(of: 0x3C00 | (block & 0x03FF), toByteOffset: position, as: UInt16.self)
              position += 4096
            }
            offset += length
          }
        }
      }
      return result
    }
    let tensors: [TensorToWrite] = [
      TensorToWrite(
        name: "model.embed_tokens.weight", dtype: .BF16, shape: [rows, dimension],
        segments: [.bytes(bytes(rows * dimension * 2))]),
      TensorToWrite(
        name: "lm_head.weight", dtype: .BF16, shape: [rows, dimension], segments: [.bytes(bytes(rows * dimension * 2))]),
      TensorToWrite(
        name: "model.layers.0.mlp.weight", dtype: .BF16, shape: [dimension, dimension],
        segments: [.bytes(bytes(dimension * dimension * 2))]),
      TensorToWrite(
        name: "model.layers.1.mlp.weight", dtype: .BF16, shape: [dimension, dimension],
        segments: [.bytes(bytes(dimension * dimension * 2))]),
      TensorToWrite(
        name: "model.norm.weight", dtype: .BF16, shape: [dimension], segments: [.bytes(bytes(dimension * 2))]),
      TensorToWrite(name: "odd.a", dtype: .U8, shape: [1001], segments: [.bytes(Array(repeating: 7, count: 1001))]),
      TensorToWrite(name: "odd.b", dtype: .F32, shape: [3, 5], segments: [.bytes(bytes(60))]),
    ]
    try SafeTensorsWriter.write(tensors, to: FilePath(model.appendingPathComponent("model.safetensors").path))
    let config = #"{"architectures": ["LlamaForCausalLM"], "vocab_size": \#(rows), "hidden_size": \#(dimension)}"#
    try Data(config.utf8).write(to: model.appendingPathComponent("config.json"))
    let tokenFile = folder.appendingPathComponent("tokens.txt")
    try Data((0..<tokens).map { "<|new_\($0)|>" }.joined(separator: "\n").utf8).write(to: tokenFile)
    return (model, tokenFile)
  }

  /// Every tensor of two files, by name, is the same bytes.
  static func expectSameTensors(_ a: String, _ b: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let first = try SafeTensorsFile(path: FilePath(a))
    let second = try SafeTensorsFile(path: FilePath(b))
    #expect(
      Set(first.header.tensors.map(\.name)) == Set(second.header.tensors.map(\.name)), sourceLocation: sourceLocation)
    for info in first.header.tensors {
      let other = try #require(second.header.tensor(named: info.name), sourceLocation: sourceLocation)
      #expect(info.dimensions == other.dimensions && info.dtype == other.dtype, sourceLocation: sourceLocation)
      #expect(first.data(of: info) == second.data(of: other), "\(info.name)", sourceLocation: sourceLocation)
    }
  }

  @Test(arguments: LoopFileSystem.Kind.allCases)
  func aResizeSharesTheUnchangedBlocks(kind: LoopFileSystem.Kind) throws {
    let fileSystem = try LoopFileSystem(kind, megabytes: 1200)
    defer { try? fileSystem.unmount() }
    let (model, tokens) = try Self.makeModel(in: fileSystem.root)
    let input = model.appendingPathComponent("model.safetensors").path
    let before = try fileSystem.usedBytes()
    let output = fileSystem.path("out")
    let result = try TestEnvironment.embsurgery([
      "resize", model.path, "--tokens", tokens.path, "--output", output.path, "--json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let growth = try fileSystem.usedBytes() - before
    let written = output.appendingPathComponent("model.safetensors").path
    let inputSize = try FileManager.default.attributesOfItem(atPath: input)[.size] as? Int ?? 0
    let shared = try SharedExtents.sharedBytes(of: written)
    // Everything but the 2 × 1000 new rows (8 MiB) and a few partial blocks is shared.
    let newRows = 2 * 1000 * Self.dimension * 2
    #expect(shared >= inputSize - 64 * 4096, "shared \(shared) of \(inputSize)")
    #expect(growth <= newRows + (16 << 20), "the file system grew by \(growth) bytes")
    // The same bytes as the same resize on the machine's own file system.
    let scratch = try ScratchDirectory()
    let reference = scratch.path("reference")
    let again = try TestEnvironment.embsurgery([
      "resize", model.path, "--tokens", tokens.path, "--output", reference.path,
    ])
    #expect(again.status == 0, "\(again.stderr)")
    try Self.expectSameTensors(written, reference.appendingPathComponent("model.safetensors").path)
    // The old rows are the input's, byte for byte.
    let original = try SafeTensorsFile(path: FilePath(input))
    let resized = try SafeTensorsFile(path: FilePath(written))
    for name in ["model.embed_tokens.weight", "lm_head.weight"] {
      let old = try #require(original.header.tensor(named: TensorName(name)))
      let new = try #require(resized.header.tensor(named: TensorName(name)))
      #expect(new.shape == [Self.rows + 1000, Self.dimension])
      #expect(Array(resized.data(of: new).prefix(old.byteCount)) == original.data(of: old))
    }
    // The Python reference reads the output.
    let check = """
      import sys
      from safetensors import safe_open
      with safe_open(sys.argv[1], framework="numpy") as f:
          print(sorted(f.keys()) == sorted(f.keys()), f.get_slice("lm_head.weight").get_shape())
      """
    let printed = String(decoding: try TestEnvironment.runPython(check, arguments: [written]), as: UTF8.self)
    #expect(printed == "True [\(Self.rows + 1000), \(Self.dimension)]\n")
  }

  @Test(arguments: LoopFileSystem.Kind.allCases)
  func inPlaceAndFixUntrainedShareToo(kind: LoopFileSystem.Kind) throws {
    let fileSystem = try LoopFileSystem(kind, megabytes: 1200)
    defer { try? fileSystem.unmount() }
    let (model, tokens) = try Self.makeModel(in: fileSystem.root, tokens: 10)
    let before = try fileSystem.usedBytes()
    let inPlace = try TestEnvironment.embsurgery([
      "resize", model.path, "--tokens", tokens.path, "--in-place", "--quiet",
    ])
    #expect(inPlace.status == 0, "\(inPlace.stderr)")
    #expect(try fileSystem.usedBytes() - before <= 16 << 20)
    let fixed = fileSystem.path("fixed")
    let fix = try TestEnvironment.embsurgery([
      "fix-untrained", model.path, "--ids", "3,4,5", "--output", fixed.path, "--quiet",
    ])
    #expect(fix.status == 0, "\(fix.stderr)")
    let shared = try SharedExtents.sharedBytes(of: fixed.appendingPathComponent("model.safetensors").path)
    #expect(shared >= 2 * Self.rows * Self.dimension * 2 - (1 << 20))
  }

  @Test(arguments: [SIGINT, SIGKILL])
  func anInterruptedResizeOnXFSLeavesTheInputAndNoOutput(signal: Int32) throws {
    let fileSystem = try LoopFileSystem(.xfs, megabytes: 1200)
    defer { try? fileSystem.unmount() }
    let (model, tokens) = try Self.makeModel(in: fileSystem.root, tokens: 10)
    let input = model.appendingPathComponent("model.safetensors")
    let original = try Data(contentsOf: input)
    try FaultSupport.makeFIFO(at: model.appendingPathComponent("zz-slow"))
    let output = fileSystem.path("out")
    let command = try FaultSupport.RunningCommand(
      ["resize", model.path, "--tokens", tokens.path, "--output", output.path, "--quiet"])
    let partial = fileSystem.path(".out.embsurgery-partial-\(command.pid)")
    #expect(command.wait { FileManager.default.fileExists(atPath: partial.appendingPathComponent("config.json").path) })
    command.send(signal)
    let (status, _) = command.finish()
    #expect(status == 128 + signal)
    try FileManager.default.removeItem(at: model.appendingPathComponent("zz-slow"))
    #expect(try Data(contentsOf: input) == original)
    #expect(!FileManager.default.fileExists(atPath: output.path))
    #expect(FileManager.default.fileExists(atPath: partial.path) == (signal == SIGKILL))
    // The next run cleans what SIGKILL left.
    let again = try TestEnvironment.embsurgery(["resize", model.path, "--tokens", tokens.path, "--output", output.path])
    #expect(again.status == 0, "\(again.stderr)")
    #expect(!FileManager.default.fileExists(atPath: partial.path))
  }

  /// Without cloning (tmpfs), nothing breaks: the same tensors, every byte copied.
  @Test func withoutCloningTheKernelCopies() throws {
    let scratch = try ScratchDirectory()
    let mount = try FaultSupport.Mount(tmpfsAt: scratch.path("tmpfs"), size: "800m")
    let (model, tokens) = try Self.makeModel(in: mount.folder, tokens: 100)
    let output = mount.folder.appendingPathComponent("out")
    let result = try TestEnvironment.embsurgery([
      "resize", model.path, "--tokens", tokens.path, "--output", output.path,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let reference = scratch.path("reference")
    let again = try TestEnvironment.embsurgery([
      "resize", model.path, "--tokens", tokens.path, "--output", reference.path,
    ])
    #expect(again.status == 0, "\(again.stderr)")
    try Self.expectSameTensors(
      output.appendingPathComponent("model.safetensors").path,
      reference.appendingPathComponent("model.safetensors").path)
  }

  /// `--link-unchanged`: the files that do not change are hard links to the input's; another
  /// file system is refused before anything is written.
  @Test func linkUnchangedMakesHardLinks() throws {
    let scratch = try ScratchDirectory()
    let (model, tokens) = try Self.makeModel(in: scratch.url, tokens: 5)
    try Data("{}".utf8).write(to: model.appendingPathComponent("generation_config.json"))
    let output = scratch.path("linked")
    let result = try TestEnvironment.embsurgery(
      ["resize", model.path, "--tokens", tokens.path, "--output", output.path, "--link-unchanged", "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    func inode(_ url: URL) throws -> Int {
      try FileManager.default.attributesOfItem(atPath: url.path)[.systemFileNumber] as? Int ?? -1
    }
    let linked = output.appendingPathComponent("generation_config.json")
    #expect(try inode(linked) == inode(model.appendingPathComponent("generation_config.json")))
    #expect(
      try inode(output.appendingPathComponent("config.json")) != inode(model.appendingPathComponent("config.json")))
    let mount = try FaultSupport.Mount(tmpfsAt: scratch.path("elsewhere"), size: "10m")
    let refused = try TestEnvironment.embsurgery(
      [
        "resize", model.path, "--tokens", tokens.path, "--output", mount.folder.appendingPathComponent("out").path,
        "--link-unchanged",
      ])
    #expect(refused.status == 1)
    #expect(
      refused.stderr.hasPrefix(
        "error: \(mount.folder.appendingPathComponent("out").path): is not on the file system of"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: mount.folder.path) == [])
  }
}

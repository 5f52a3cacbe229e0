import Foundation
import SystemPackage
import TestSupport
import Testing

@testable import SafeTensors

#if canImport(Glibc)
  import Glibc
#endif

/// The kernel behaviour SharingLayout relies on, on real copy-on-write file systems in loop-mounted
/// images (root needed): `cp --reflink` and `copy_file_range`/`FICLONERANGE` between congruent
/// offsets share blocks, a shifted `copy_file_range` copies them, and a plan's clones share what
/// the plan says.
@Suite(.serialized) struct LayoutFileSystemTests {
  /// Writes `prefix` then `count` bytes of a pattern that differs in every block (nothing for a
  /// file system to deduplicate or leave sparse) and flushes them.
  private static func writeFile(_ path: URL, prefix: [UInt8] = [], count: Int) throws {
    guard FileManager.default.createFile(atPath: path.path, contents: nil) else {
      throw SharedExtents.Failure(call: "create \(path.path)", errno: errno)
    }
    let handle = try FileHandle(forWritingTo: path)
    defer { try? handle.close() }
    handle.write(Data(prefix))
    var chunk = [UInt64](repeating: 0, count: 1 << 17)
    for start in stride(from: 0, to: count, by: 1 << 20) {
      for index in chunk.indices { chunk[index] = UInt64(start + index * 8 + 1) &* 0x9E37_79B9_7F4A_7C15 }
      chunk.withUnsafeBytes { handle.write(Data($0.prefix(min(1 << 20, count - start)))) }
    }
    try handle.synchronize()
  }

  private static func open(_ path: URL, writing: Bool = false) throws -> Int32 {
    let descriptor =
      writing ? Glibc.open(path.path, O_RDWR | O_CREAT | O_TRUNC, 0o644) : Glibc.open(path.path, O_RDONLY)
    guard descriptor >= 0 else { throw SharedExtents.Failure(call: "open \(path.path)", errno: errno) }
    return descriptor
  }

  private static func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
  }

  /// The helper itself: a reflink copy is all shared and takes no space, a plain write or a
  /// `cp --reflink=never` shares nothing and takes its size.
  @Test(arguments: LoopFileSystem.Kind.allCases)
  func sharedExtentsSeeReflinkCopies(kind: LoopFileSystem.Kind) throws {
    let fileSystem = try LoopFileSystem(kind, megabytes: 400)
    defer { try? fileSystem.unmount() }
    let original = fileSystem.path("original")
    try Self.writeFile(original, count: 64 << 20)
    #expect(try SharedExtents.sharedBytes(of: original.path) == 0)

    let before = try fileSystem.usedBytes()
    try TestEnvironment.run("/usr/bin/cp", ["--reflink=always", original.path, fileSystem.path("clone").path])
    let afterClone = try fileSystem.usedBytes()
    #expect(try SharedExtents.sharedBytes(of: fileSystem.path("clone").path) == 64 << 20)
    #expect(try SharedExtents.sharedBytes(of: original.path) == 64 << 20)
    #expect(afterClone - before < 1 << 20)

    try TestEnvironment.run("/usr/bin/cp", ["--reflink=never", original.path, fileSystem.path("copy").path])
    let afterCopy = try fileSystem.usedBytes()
    #expect(try SharedExtents.sharedBytes(of: fileSystem.path("copy").path) == 0)
    #expect(afterCopy - afterClone >= 64 << 20)
    try fileSystem.unmount()
    #expect(fileSystem.device == nil)
  }

  /// What the design rests on: `copy_file_range` between offsets congruent modulo the block
  /// size shares (and takes microseconds), shifted by 8 bytes it copies; `FICLONERANGE` refuses
  /// unaligned offsets and accepts an unaligned length only when it ends the source. Prints the
  /// timings.
  @Test(arguments: LoopFileSystem.Kind.allCases)
  func copyFileRangeSharesOnlyCongruentOffsets(kind: LoopFileSystem.Kind) throws {
    let fileSystem = try LoopFileSystem(kind, megabytes: 700)
    defer { try? fileSystem.unmount() }
    let block = try fileSystem.blockSize()
    let source = fileSystem.path("source")
    try Self.writeFile(source, count: 256 << 20)
    let input = try Self.open(source)
    defer { close(input) }
    let count = (256 << 20) - block

    let congruent = try Self.open(fileSystem.path("congruent"), writing: true)
    defer { close(congruent) }
    let fast = try Self.seconds {
      try SharedExtents.copyFileRange(from: input, at: block, to: congruent, at: 2 * block, count: count)
    }
    let shifted = try Self.open(fileSystem.path("shifted"), writing: true)
    defer { close(shifted) }
    let slow = try Self.seconds {
      try SharedExtents.copyFileRange(from: input, at: block, to: shifted, at: 2 * block + 8, count: count)
    }
    #expect(try SharedExtents.sharedBytes(of: fileSystem.path("congruent").path) == count)
    #expect(try SharedExtents.sharedBytes(of: fileSystem.path("shifted").path) == 0)
    #expect(fast < slow)
    print(
      "\(kind) (block \(block)): copy_file_range of \(count >> 20) MiB, congruent offsets "
        + "\(String(format: "%.6f", fast)) s (shared), shifted by 8 bytes \(String(format: "%.3f", slow)) s (copied)")

    let cloned = try Self.open(fileSystem.path("cloned"), writing: true)
    defer { close(cloned) }
    let clone = try Self.seconds {
      try SharedExtents.cloneRange(from: input, at: block, to: cloned, at: block, count: count)
    }
    print("\(kind): FICLONERANGE of \(count >> 20) MiB \(String(format: "%.6f", clone)) s")
    #expect(throws: SharedExtents.Failure.self) {
      try SharedExtents.cloneRange(from: input, at: block + 8, to: cloned, at: block + 8, count: block)
    }
    // A length that is not a whole number of blocks: refused, unless the range ends the source
    // (and lands at the end of the destination).
    #expect(throws: SharedExtents.Failure.self) {
      try SharedExtents.cloneRange(from: input, at: 0, to: cloned, at: 0, count: block + 100)
    }
    let tail = fileSystem.path("tail")
    try Self.writeFile(tail, count: (1 << 20) - 100)
    let tailInput = try Self.open(tail)
    defer { close(tailInput) }
    let output = try Self.open(fileSystem.path("tail-copy"), writing: true)
    defer { close(output) }
    try SharedExtents.cloneRange(from: tailInput, at: 0, to: output, at: 0, count: (1 << 20) - 100)
    #expect(try SharedExtents.sharedBytes(of: fileSystem.path("tail-copy").path) >= (1 << 20) - block)
  }

  /// A plan's operations carried out on a real file system (FICLONERANGE for clones,
  /// copy_file_range for copies, pwrite for the header and the fresh bytes): the output is the
  /// plan's bytes, the reader accepts it, the file system reports as shared what the plan says,
  /// and the space it takes is what the plan copies and writes. The MiniLM-shaped checkpoint is
  /// grown by 5 rows (fillers moved) and trimmed by 2 (the header padded to a new residue).
  @Test(arguments: LoopFileSystem.Kind.allCases)
  func plannedOutputSharesWhatThePlanSays(kind: LoopFileSystem.Kind) throws {
    let fileSystem = try LoopFileSystem(kind, megabytes: 600)
    defer { try? fileSystem.unmount() }
    let block = try fileSystem.blockSize()
    let miniLM = try ModelHeaders.miniLM()
    let header = try SafeTensorsWriter.header(
      for: miniLM.tensors.map { TensorToWrite(name: $0.name, dtype: $0.dtype, shape: $0.shape, segments: []) },
      metadata: miniLM.metadata)
    let inputPath = fileSystem.path("model.safetensors")
    try Self.writeFile(inputPath, prefix: header, count: ModelHeaders.fileSize(miniLM) - miniLM.dataStart)
    let input = try SafeTensorsFile(path: FilePath(inputPath.path))
    let inputBytes = try Data(contentsOf: inputPath)
    let inputDescriptor = try Self.open(inputPath)
    defer { close(inputDescriptor) }
    let embedding = "embeddings.word_embeddings.weight"
    for (name, change) in [
      ("grown by 5 rows", grown(by: 5, id: 1)), ("trimmed by 2 rows", trimmed(to: [0..<100, 102..<30522])),
    ] {
      let plan = try SharingLayout.plan(
        outputs(input.header, [embedding: change]), input: input.header, fileSize: input.size, blockSize: block)
      let outputPath = fileSystem.path("output-\(name.count)")
      let before = try fileSystem.usedBytes()
      let output = try Self.open(outputPath, writing: true)
      for operation in plan.operations {
        switch operation {
        case .header(let range):
          #expect(plan.header.withUnsafeBytes { pwrite(output, $0.baseAddress, range.count, 0) } == range.count)
        case .clone(let from, let to):
          try SharedExtents.cloneRange(
            from: inputDescriptor, at: from.lowerBound, to: output, at: to, count: from.count)
        case .copy(let from, let to):
          try SharedExtents.copyFileRange(
            from: inputDescriptor, at: from.lowerBound, to: output, at: to, count: from.count)
        case .fresh(let id, let offset, let to):
          let bytes = LayoutCase.fresh(id, offset, to.count)
          #expect(bytes.withUnsafeBytes { pwrite(output, $0.baseAddress, to.count, off_t(to.lowerBound)) } == to.count)
        }
      }
      #expect(fsync(output) == 0 && close(output) == 0)
      let grew = try fileSystem.usedBytes() - before
      let written = try Data(contentsOf: outputPath)
      let expected = inputBytes.withUnsafeBytes { plan.assemble(input: $0, fresh: LayoutCase.fresh) }
      #expect(written == Data(expected))
      #expect(throws: Never.self) { _ = try SafeTensorsFile(path: FilePath(outputPath.path)) }
      let shared = try SharedExtents.sharedBytes(of: outputPath.path)
      #expect(abs(shared - plan.sharedBytes) <= block)
      #expect(grew < plan.copiedBytes + plan.freshBytes + plan.dataStart + (2 << 20))
      print(
        "\(kind): \(name): \(plan.fileSize) bytes, planned shared \(plan.sharedBytes), copied \(plan.copiedBytes), "
          + "fresh \(plan.freshBytes); FIEMAP shared \(shared); used space +\(grew)")
    }
  }
}

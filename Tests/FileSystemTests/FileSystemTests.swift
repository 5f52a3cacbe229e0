import FileSystem
import SystemPackage
import TestSupport
import Testing

@Suite struct FileSystemTests {
  @Test func errorsAreOneLineWithTheSymbolicName() {
    let error = FileSystemError.failed(operation: "write", path: "/x/out", errno: .noSpace)
    #expect(error.description == "/x/out: write failed: No space left on device (ENOSPC)")
    #expect(Errno.readOnlyFileSystem.symbolicName == "EROFS")
    #expect(Errno(rawValue: 9999).symbolicName == "errno 9999")
  }

  @Test func foldersAndNamesOfPaths() {
    #expect(FilePath("a/b/c.json").folder == "a/b")
    #expect(FilePath("c.json").folder == ".")
    #expect(FilePath("/c.json").folder == "/")
    #expect(FilePath("a/b/").folder == "a")
    #expect(FilePath("a/b/").name == "b")
    #expect(FilePath("model.safetensors").name == "model.safetensors")
  }

  @Test func readWriteCopyAndRemove() throws {
    let scratch = try ScratchDirectory()
    let folder = FilePath(scratch.url.path)
    let source = folder.appending("source.bin")
    let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    try source.writeNewFile(bytes)
    #expect(throws: FileSystemError.self) { try source.writeNewFile([1]) }
    #expect(try source.readAll() == bytes)
    let copy = folder.appending("copy.bin")
    try source.copyFile(to: copy)
    #expect(try copy.readAll() == bytes)
    let nested = folder.appending("nested")
    try nested.makeFolder()
    try copy.rename(to: nested.appending("moved.bin"))
    #expect(try folder.folderEntries() == ["nested", "source.bin"])
    #expect(nested.isFolder && !source.isFolder)
    nested.removeTree()
    #expect(!nested.exists)
    #expect(throws: FileSystemError.self) { try folder.appending("missing").readAll() }
    do {
      _ = try folder.readAll()
      Issue.record("reading a folder succeeded")
    } catch {
      #expect(error.errno == .isDirectory)
    }
  }

  @Test func copiesRangesToOffsetsAndThroughTheBuffer() throws {
    let scratch = try ScratchDirectory()
    let folder = FilePath(scratch.url.path)
    let source = folder.appending("source.bin")
    let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    try source.writeNewFile(bytes)
    let input = try InputFile(path: source)
    let outputPath = folder.appending("out.bin")
    let output = try OutputFile(creating: outputPath, exclusive: true)
    try output.write([9, 9, 9])
    var copied = 0
    try output.copy(from: input, range: 10..<5_010) { copied += $0 }
    try output.copy(from: input, range: 0..<4, to: 10_000)
    try output.close()
    let written = try outputPath.readAll()
    #expect(copied == 5_000)
    #expect(written.count == 10_004)
    #expect(Array(written[0..<3]) == [9, 9, 9])
    #expect(Array(written[3..<5_003]) == Array(bytes[10..<5_010]))
    #expect(Array(written[10_000..<10_004]) == Array(bytes[0..<4]))
    #expect(written[5_003..<10_000].allSatisfy { $0 == 0 })
  }

  @Test func aTruncatedSourceIsNamed() throws {
    let scratch = try ScratchDirectory()
    let source = FilePath(scratch.url.path).appending("short.bin")
    try source.writeNewFile([1, 2, 3])
    let input = try InputFile(path: source)
    let output = try OutputFile(creating: FilePath(scratch.url.path).appending("o"), exclusive: true)
    #expect(throws: FileSystemError.truncated(path: source, expectedEnd: 10, size: 3)) {
      try output.copy(from: input, range: 0..<10)
    }
  }

  @Test func temporaryNamesAndStaleLeftovers() throws {
    let scratch = try ScratchDirectory()
    let target = FilePath(scratch.url.path).appending("out")
    let mine = TemporaryName(for: target, kind: .partial)
    #expect(mine.path == FilePath(scratch.url.path).appending(".out.embsurgery-partial-\(CurrentProcess.id)"))
    // Leftovers of a process that no longer runs (pid 2^22 + 1 is above Linux's default maximum).
    let dead: Int32 = 4_194_305
    #expect(!CurrentProcess.isRunning(dead))
    #expect(CurrentProcess.isRunning(CurrentProcess.id))
    let partial = FilePath(scratch.url.path).appending(".out.embsurgery-partial-\(dead)")
    try partial.writeNewFile([1])
    let aside = FilePath(scratch.url.path).appending(".out.embsurgery-old-\(dead)")
    try aside.makeFolder()
    try aside.appending("kept").writeNewFile([2])
    TemporaryName.cleanStale(besides: target)
    #expect(!partial.exists && !aside.exists)
    #expect(try target.appending("kept").readAll() == [2])
  }

  @Test func emptyAndSmallFilesMap() throws {
    let scratch = try ScratchDirectory()
    let small = FilePath(scratch.url.path).appending("m.bin")
    try small.writeNewFile([1, 2, 3])
    let mapped = try MappedRegion(file: try InputFile(path: small))
    #expect(mapped.count == 3)
    #expect(mapped.withUnsafeBytes { Array($0) } == [1, 2, 3])
    let emptyPath = FilePath(scratch.url.path).appending("e.bin")
    try emptyPath.writeNewFile([])
    let empty = try MappedRegion(file: try InputFile(path: emptyPath))
    #expect(empty.count == 0)
    #expect(empty.withUnsafeBytes { $0.count } == 0)
  }

  @Test func mappedRegionsAreNamedForSignalHandlers() throws {
    let scratch = try ScratchDirectory()
    let path = FilePath(scratch.url.path).appending("mapped.bin")
    try path.writeNewFile(Array(repeating: 7, count: 10_000))
    let input = try InputFile(path: path)
    let region = try MappedRegion(file: input)
    let base = region.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
    #expect(region.count == 10_000)
    #expect(MappedRegions.path(containing: base + 9_999).map { String(cString: $0) } == path.string)
    #expect(MappedRegions.path(containing: base + 10_000) == nil)
    region.releasePages(in: 0..<10_000)
    #expect(region.withUnsafeBytes { $0.allSatisfy { $0 == 7 } })
  }

  @Test func cloningIsRefusedQuietlyWhereItCannotShare() throws {
    // An unaligned range can never be shared (EINVAL on every file system): the answer is
    // `false` and the caller copies. An aligned one is shared on copy-on-write file systems
    // (then the bytes are the source's) and refused elsewhere.
    let scratch = try ScratchDirectory()
    let source = FilePath(scratch.url.path).appending("s")
    let bytes = (0..<16384).map { UInt8(truncatingIfNeeded: $0 &* 13) }
    try source.writeNewFile(bytes)
    let input = try InputFile(path: source)
    let destination = FilePath(scratch.url.path).appending("d")
    let output = try OutputFile(creating: destination, exclusive: true)
    let blockSize = try output.blockSize()
    #expect(blockSize >= 512 && blockSize.nonzeroBitCount == 1)
    #expect(try !output.clone(from: input, sourceOffset: 8, length: Int64(blockSize), to: 0))
    let shared = try output.clone(from: input, sourceOffset: 0, length: Int64(blockSize), to: 0)
    try output.close()
    #expect(try destination.readAll() == (shared ? Array(bytes[0..<blockSize]) : []))
  }
}

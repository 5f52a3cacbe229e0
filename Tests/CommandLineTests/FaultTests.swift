import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Faults during a resize: a full disk, signals, inputs changing underneath, bad paths.
/// Every failure is one `error:` line, nothing is left at the output path, the input is untouched.
@Suite(.serialized) struct FaultTests {
  let fixture = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/tiny-llama")
  let tokens = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/new-tokens.txt")

  func copyFixture(to scratch: ScratchDirectory, name: String = "model") throws -> URL {
    let folder = scratch.path(name)
    try FileManager.default.copyItem(at: fixture, to: folder)
    return folder
  }

  func entries(_ url: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
  }

  func expectOneErrorLine(_ stderr: String, containing text: String, sourceLocation: SourceLocation = #_sourceLocation)
  {
    #expect(stderr.hasPrefix("error: "), "\(stderr)", sourceLocation: sourceLocation)
    #expect(
      stderr.hasSuffix("\n") && stderr.dropLast().contains("\n") == false, "\(stderr)", sourceLocation: sourceLocation)
    #expect(stderr.contains(text), "\(stderr)", sourceLocation: sourceLocation)
  }

  // MARK: Disk full

  @Test func diskFullLeavesNothingBehind() throws {
    let scratch = try ScratchDirectory()
    let input = scratch.path("big.safetensors")
    try FaultSupport.writeCheckpoint(at: input, rows: 1000, columns: 256)  // 1 MB
    let before = try Data(contentsOf: input)
    let mount = try FaultSupport.Mount(tmpfsAt: scratch.path("small"), size: "200k")
    let output = mount.folder.appendingPathComponent("out.safetensors").path
    let result = try TestEnvironment.embsurgery(["resize", input.path, "--tokens", tokens.path, "--output", output])
    #expect(result.status == 1)
    expectOneErrorLine(result.stderr, containing: "ENOSPC")
    #expect(try entries(mount.folder) == [])
    #expect(try Data(contentsOf: input) == before)
    #expect(try entries(scratch.url) == ["big.safetensors", "small"])
  }

  @Test func diskFullForAFolderLeavesNothingBehind() throws {
    let scratch = try ScratchDirectory()
    let folder = try copyFixture(to: scratch)
    try FaultSupport.writeCheckpoint(at: folder.appendingPathComponent("extra.safetensors"), rows: 1000, columns: 64)
    let mount = try FaultSupport.Mount(tmpfsAt: scratch.path("small"), size: "200k")
    let output = mount.folder.appendingPathComponent("out").path
    let result = try TestEnvironment.embsurgery(["resize", folder.path, "--tokens", tokens.path, "--output", output])
    #expect(result.status == 1)
    expectOneErrorLine(result.stderr, containing: "ENOSPC")
    #expect(try entries(mount.folder) == [])
    #expect(
      try Data(contentsOf: folder.appendingPathComponent("model.safetensors"))
        == Data(contentsOf: fixture.appendingPathComponent("model.safetensors")))
  }

  @Test func readOnlyOutputFolder() throws {
    let scratch = try ScratchDirectory()
    let mount = try FaultSupport.Mount(tmpfsAt: scratch.path("ro"), size: "1m", readOnly: true)
    let output = mount.folder.appendingPathComponent("out").path
    let result = try TestEnvironment.embsurgery(["resize", fixture.path, "--tokens", tokens.path, "--output", output])
    #expect(result.status == 1)
    expectOneErrorLine(result.stderr, containing: "EROFS")
    #expect(try entries(mount.folder) == [])
  }

  // MARK: Signals

  /// Starts a folder resize that stops in the middle of writing (on a FIFO in the input folder)
  /// and returns it once its temporary folder holds the rewritten model.
  func startBlockedResize(
    _ scratch: ScratchDirectory, extra: [String] = []
  ) throws -> (FaultSupport.RunningCommand, input: URL, output: URL, partial: URL) {
    let input = try copyFixture(to: scratch)
    try FaultSupport.makeFIFO(at: input.appendingPathComponent("zz-slow"))
    let output = scratch.path("out")
    let command = try FaultSupport.RunningCommand(
      ["resize", input.path, "--tokens", tokens.path, "--output", output.path, "--quiet"] + extra)
    let partial = scratch.path(".out.embsurgery-partial-\(command.pid)")
    let started = command.wait {
      FileManager.default.fileExists(atPath: partial.appendingPathComponent("tokenizer_config.json").path)
    }
    #expect(started, "the resize never reached the FIFO")
    return (command, input, output, partial)
  }

  @Test(arguments: [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")])
  func interruptionRemovesThePartialOutput(signal: Int32, name: String) throws {
    let scratch = try ScratchDirectory()
    let (command, input, _, partial) = try startBlockedResize(scratch)
    command.send(signal)
    let (status, stderr) = command.finish()
    #expect(status == 128 + signal)
    #expect(stderr == "error: interrupted by \(name); removed the partial output \(partial.path)\n")
    #expect(try entries(scratch.url) == ["model"])
    try FileManager.default.removeItem(at: input.appendingPathComponent("zz-slow"))
    #expect(try entries(input) == entries(fixture))
  }

  @Test func afterSIGKILLOnlyThePartialRemainsAndTheNextRunRemovesIt() throws {
    let scratch = try ScratchDirectory()
    let (command, input, output, partial) = try startBlockedResize(scratch)
    command.send(SIGKILL)
    let (status, _) = command.finish()
    #expect(status == 128 + SIGKILL)
    #expect(try entries(scratch.url) == [partial.lastPathComponent, "model"])
    try FileManager.default.removeItem(at: input.appendingPathComponent("zz-slow"))
    let again = try TestEnvironment.embsurgery(["resize", input.path, "--tokens", tokens.path, "--output", output.path])
    #expect(again.status == 0, "\(again.stderr)")
    #expect(try entries(scratch.url) == ["model", "out"])
  }

  @Test(arguments: [SIGKILL, SIGTERM])
  func forceKeepsTheOldOutputUntilTheNewOneIsComplete(signal: Int32) throws {
    let scratch = try ScratchDirectory()
    let output = scratch.path("out")
    let first = try TestEnvironment.embsurgery([
      "resize", fixture.path, "--tokens", tokens.path, "--output", output.path,
    ])
    #expect(first.status == 0, "\(first.stderr)")
    let old = try Data(contentsOf: output.appendingPathComponent("model.safetensors"))
    let (command, input, _, _) = try startBlockedResize(scratch, extra: ["--force", "--init", "zeros"])
    #expect(try Data(contentsOf: output.appendingPathComponent("model.safetensors")) == old)
    command.send(signal)
    _ = command.finish()
    #expect(try Data(contentsOf: output.appendingPathComponent("model.safetensors")) == old)
    try FileManager.default.removeItem(at: input.appendingPathComponent("zz-slow"))
    let forced = try TestEnvironment.embsurgery(
      ["resize", input.path, "--tokens", tokens.path, "--output", output.path, "--force", "--init", "zeros"])
    #expect(forced.status == 0, "\(forced.stderr)")
    #expect(try Data(contentsOf: output.appendingPathComponent("model.safetensors")) != old)
    #expect(try entries(scratch.url) == ["model", "out"])
  }

  @Test(arguments: [SIGINT, SIGKILL])
  func anInterruptedInPlaceResizeLeavesTheInputAsItWas(signal: Int32) throws {
    let scratch = try ScratchDirectory()
    let input = try copyFixture(to: scratch)
    try FaultSupport.makeFIFO(at: input.appendingPathComponent("zz-slow"))
    let command = try FaultSupport.RunningCommand([
      "resize", input.path, "--tokens", tokens.path, "--in-place", "--quiet",
    ])
    let partial = scratch.path(".model.embsurgery-partial-\(command.pid)")
    #expect(
      command.wait {
        FileManager.default.fileExists(atPath: partial.appendingPathComponent("tokenizer_config.json").path)
      })
    command.send(signal)
    let (status, _) = command.finish()
    #expect(status == 128 + signal)
    try FileManager.default.removeItem(at: input.appendingPathComponent("zz-slow"))
    for name in try entries(fixture) {
      #expect(
        try Data(contentsOf: input.appendingPathComponent(name))
          == Data(contentsOf: fixture.appendingPathComponent(name)))
    }
    #expect(try entries(input) == entries(fixture))
    #expect(try entries(scratch.url) == (signal == SIGKILL ? [partial.lastPathComponent, "model"] : ["model"]))
  }

  @Test func anOutputMovedAsideByAKilledRunIsPutBack() throws {
    let scratch = try ScratchDirectory()
    // A run killed between moving the old output aside and moving the new one in (pid 4195304
    // is above Linux's largest pid, so no such process exists).
    let aside = scratch.path(".out.embsurgery-old-4195304")
    try FileManager.default.createDirectory(at: aside, withIntermediateDirectories: false)
    try Data("old".utf8).write(to: aside.appendingPathComponent("marker"))
    let partial = scratch.path(".out.embsurgery-partial-4195304")
    try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: false)
    let output = scratch.path("out")
    let result = try TestEnvironment.embsurgery([
      "resize", fixture.path, "--tokens", tokens.path, "--output", output.path,
    ])
    #expect(result.status == 1)
    #expect(result.stderr == "error: \(output.path): already exists (use --force to replace it)\n")
    #expect(try entries(scratch.url) == ["out"])
    #expect(try entries(output) == ["marker"])
  }

  // MARK: Input changing underneath

  /// Starts a resize that has mapped and validated `model.safetensors` and waits for its
  /// tokenizer on a FIFO; returns it with the model's path and the FIFO.
  func startResizeWaitingForItsTokenizer(
    _ scratch: ScratchDirectory
  ) throws -> (FaultSupport.RunningCommand, model: URL, fifo: URL, output: URL) {
    let input = scratch.path("model")
    try FileManager.default.createDirectory(at: input, withIntermediateDirectories: false)
    let model = input.appendingPathComponent("model.safetensors")
    try FileManager.default.copyItem(at: fixture.appendingPathComponent("model.safetensors"), to: model)
    let fifo = scratch.path("tokenizer-fifo")
    try FaultSupport.makeFIFO(at: fifo)
    let output = scratch.path("out")
    let command = try FaultSupport.RunningCommand(
      ["resize", input.path, "--tokens", tokens.path, "--tokenizer", fifo.path, "--output", output.path, "--quiet"])
    let mapped = command.wait {
      // (procfs files report a size of 0: read them with cat.)
      let maps = (try? TestEnvironment.execute("/usr/bin/cat", ["/proc/\(command.pid)/maps"]))?.stdout ?? ""
      return maps.contains(model.path)
    }
    #expect(mapped, "the model was never mapped")
    usleep(50_000)
    return (command, model, fifo, output)
  }

  @Test func truncatedWhileMappedIsReportedNotASilentSIGBUS() throws {
    let scratch = try ScratchDirectory()
    let (command, model, fifo, _) = try startResizeWaitingForItsTokenizer(scratch)
    #expect(truncate(model.path, 0) == 0)
    try FaultSupport.feed(fifo: fifo, with: Data(contentsOf: fixture.appendingPathComponent("tokenizer.json")))
    let (status, stderr) = command.finish()
    #expect(status == 1)
    #expect(stderr == "error: \(model.path): the file changed while it was being read (truncated?)\n")
    #expect(try entries(scratch.url) == ["model", "tokenizer-fifo"])
  }

  @Test func truncatedBeforeTheKernelCopyIsAnError() throws {
    let scratch = try ScratchDirectory()
    let input = try copyFixture(to: scratch)
    // The FIFO sorts before model.safetensors: the resize has read the embedding, then waits on
    // the FIFO before copying the rest of the model with copy_file_range.
    let fifo = input.appendingPathComponent("a-slow")
    try FaultSupport.makeFIFO(at: fifo)
    let output = scratch.path("out")
    let command = try FaultSupport.RunningCommand(
      ["resize", input.path, "--tokens", tokens.path, "--output", output.path, "--quiet"])
    let partial = scratch.path(".out.embsurgery-partial-\(command.pid)")
    #expect(command.wait { FileManager.default.fileExists(atPath: partial.path) })
    usleep(100_000)
    let model = input.appendingPathComponent("model.safetensors")
    #expect(truncate(model.path, 1000) == 0)
    FaultSupport.release(fifo: fifo)
    let (status, stderr) = command.finish()
    #expect(status == 1)
    expectOneErrorLine(stderr, containing: "\(model.path): file is truncated: tensor data ends at byte ")
    #expect(stderr.hasSuffix("but the file has 1000 bytes\n"))
    #expect(try entries(scratch.url) == ["model"])
  }

  // MARK: Bad inputs

  @Test func missingInputAndFoldersWithoutSafetensors() throws {
    let scratch = try ScratchDirectory()
    let missing = try TestEnvironment.embsurgery(["resize", scratch.path("nothing").path, "--tokens", tokens.path])
    #expect(missing.status == 1)
    expectOneErrorLine(missing.stderr, containing: scratch.path("nothing").path)
    let empty = scratch.path("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: false)
    try Data("{}".utf8).write(to: empty.appendingPathComponent("config.json"))
    let none = try TestEnvironment.embsurgery(["resize", empty.path, "--tokens", tokens.path])
    #expect(none.status == 1)
    expectOneErrorLine(none.stderr, containing: "no model.safetensors or model.safetensors.index.json")
    #expect(try entries(scratch.url) == ["empty"])
  }

  /// A sharded model folder whose index maps its one tensor to `shard`.
  func shardedModel(_ scratch: ScratchDirectory, shard: String) throws -> URL {
    let folder = scratch.path("sharded")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
    let index = "{\"metadata\":{\"total_size\":4000},\"weight_map\":{\"model.embed_tokens.weight\":\(quoted(shard))}}"
    try Data(index.utf8).write(to: folder.appendingPathComponent("model.safetensors.index.json"))
    return folder
  }

  func quoted(_ text: String) -> String {
    "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }

  @Test(arguments: ["../x.safetensors", "/etc/passwd", "sub/x.safetensors", "..", ""])
  func shardNamesThatLeaveTheFolderAreRefused(name: String) throws {
    let scratch = try ScratchDirectory()
    let folder = try shardedModel(scratch, shard: name)
    let result = try TestEnvironment.embsurgery(["resize", folder.path, "--tokens", tokens.path])
    #expect(result.status == 1)
    expectOneErrorLine(result.stderr, containing: "model.safetensors.index.json")
    #expect(try entries(scratch.url) == ["sharded"])
  }

  @Test func anIndexNamingAMissingShard() throws {
    let scratch = try ScratchDirectory()
    let folder = try shardedModel(scratch, shard: "model-00001-of-00001.safetensors")
    let result = try TestEnvironment.embsurgery(["resize", folder.path, "--tokens", tokens.path])
    #expect(result.status == 1)
    expectOneErrorLine(result.stderr, containing: "model-00001-of-00001.safetensors")
    #expect(try entries(scratch.url) == ["sharded"])
  }

  @Test func shardSymlinks() throws {
    let scratch = try ScratchDirectory()
    let folder = try shardedModel(scratch, shard: "model-00001-of-00001.safetensors")
    let link = folder.appendingPathComponent("model-00001-of-00001.safetensors")
    // A link to something that is not a regular file is refused.
    try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "/dev/zero")
    let device = try TestEnvironment.embsurgery(["resize", folder.path, "--tokens", tokens.path])
    #expect(device.status == 1)
    expectOneErrorLine(device.stderr, containing: link.path)
    // A dangling link is a missing shard.
    try FileManager.default.removeItem(at: link)
    try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "../blobs/missing")
    let dangling = try TestEnvironment.embsurgery(["resize", folder.path, "--tokens", tokens.path])
    #expect(dangling.status == 1)
    expectOneErrorLine(dangling.stderr, containing: link.path)
    // A link to a regular file elsewhere is read, as in a Hugging Face cache snapshot
    // (snapshots/REV/NAME -> ../../blobs/HASH).
    try FileManager.default.createDirectory(at: scratch.path("blobs"), withIntermediateDirectories: false)
    try FaultSupport.writeCheckpoint(at: scratch.path("blobs/abc123"), rows: 10, columns: 100)
    try FileManager.default.removeItem(at: link)
    try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "../blobs/abc123")
    let output = scratch.path("out")
    let linked = try TestEnvironment.embsurgery(
      ["resize", folder.path, "--tokens", tokens.path, "--output", output.path, "--quiet"])
    #expect(linked.status == 0, "\(linked.stderr)")
    #expect(try entries(output) == ["model-00001-of-00001.safetensors", "model.safetensors.index.json"])
  }
}

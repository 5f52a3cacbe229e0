import FileSystem
import SafeTensors
import Synchronization
import SystemPackage

extension RowRewrite {
  /// Rows of a rewritten tensor that the initializers write: a fresh piece of a layout.
  struct FreshRows: Sendable {
    /// The tensor, as an index into ``rewrittenTensors()``.
    let tensorIndex: Int
    /// The written rows, as indices into ``targets``.
    let targets: Range<Int>
  }

  /// One changed safetensors file of the output: its layout and where it is being built.
  struct FileJob: Sendable {
    /// The input file.
    let input: SafeTensorsFile
    /// The output file being built.
    let outputPath: String
    /// The layout.
    let plan: SharingLayout.Plan
    /// The fresh pieces of the layout, by id.
    let fresh: [FreshRows]
    /// The layout's first clone step when it was carried out, and shared blocks, as the file was
    /// started: the output's file system shares blocks, so the rest of the copy takes
    /// milliseconds.
    let sharedStep: Int?
  }

  /// The output tensors of the changed file `fileName`, for the layout planner: unchanged
  /// tensors as they are, rewritten ones as runs of original rows and fresh pieces (appended to
  /// `fresh`, whose indices are their ids).
  func layoutTensors(
    of file: SafeTensorsFile, named fileName: String, rewritten: [RewrittenTensor], fresh: inout [FreshRows]
  ) -> [SharingLayout.Tensor] {
    file.header.tensors.map { info -> SharingLayout.Tensor in
      guard let index = rewritten.firstIndex(where: { $0.fileName == fileName && $0.tensor.name == info.name }) else {
        return .unchanged(info, in: file.header)
      }
      let tensor = rewritten[index]
      let base = file.absoluteRange(of: info).lowerBound
      var dimensions = info.dimensions
      dimensions[tensor.rowAxis] = UInt64(rowsAfter)
      let pieces = rowMap.runs.map { run -> SharingLayout.Piece in
        switch run {
        case .original(let rows):
          return .input((base + rows.lowerBound * tensor.rowBytes)..<(base + rows.upperBound * tensor.rowBytes))
        case .written(let written):
          fresh.append(FreshRows(tensorIndex: index, targets: written))
          return .fresh(id: fresh.count - 1, count: written.count * tensor.rowBytes)
        }
      }
      return SharingLayout.Tensor(name: info.name, dtype: info.dtype, dimensions: dimensions, pieces: pieces)
    }
  }

  /// Writes the new checkpoint at a temporary path beside `destination` and moves it into place;
  /// on any error nothing is left at the output path.
  ///
  /// The changed files are created and laid out first; then a second thread copies the rest (the
  /// layout's clone and copy steps, every other file of a folder) while `prepare` runs on this
  /// thread (it may load a tokenizer; it computes the statistics) and the written rows are made a
  /// chunk at a time and written into their places.
  ///
  /// - Parameters:
  ///   - edited: the new text of files of a folder, keyed by path relative to the folder.
  ///   - linkingUnchanged: make every file of a folder that does not change a hard link to the
  ///     input's (the output must be on the input's file system).
  ///   - progress: called with (bytes done, bytes in all) from time to time, from either thread.
  ///   - prepare: the rows to write (see ``prepareRows(pieces:threads:)``), given the threads its
  ///     statistics may use: every core once the copy is done (as on a copy-on-write file system,
  ///     where it takes milliseconds), one fewer while the kernel still copies.
  /// - Complexity: the changed files' new bytes, the statistics over the rewritten matrices, and a
  ///   copy of the rest (shared instead of copied on a copy-on-write file system); memory does not
  ///   grow with the rows written.
  func write(
    edited: [String: [UInt8]], to destination: OutputDestination, linkingUnchanged: Bool,
    progress: (@Sendable (Int64, Int64) -> Void)?, prepare: (Int) throws(SurgeryError) -> PreparedRows
  ) throws(SurgeryError) -> Outcome {
    let edited = realEdits(edited)
    let rewritten = try rewrittenTensors()
    let changed = try changedFiles()
    let root = destination.temporary.path
    // A signal now removes the temporary output (see ``TemporaryOutputs``).
    destination.register()
    do {
      if model.isFolder {
        try fileSystem { () throws(FileSystemError) in
          try root.makeFolder()
          if !model.transformerFolder.isEmpty { try root.appending(model.transformerFolder).makeFolder() }
        }
      }
      var jobs: [FileJob] = []
      for name in changed.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
        let file = try model.safeTensorsFile(named: name)
        let outputPath = model.isFolder ? root.appending(model.relativePath(of: name)).string : root.string
        jobs.append(try startFile(file, named: name, at: outputPath, rewritten: rewritten))
      }
      let counter = ProgressCounter(total: try totalBytes(jobs: jobs, edited: edited), report: progress)
      let changedPaths = Set(changed.map(model.relativePath(of:)))
      let copied = BackgroundWork.start { [jobs] () throws(SurgeryError) in
        if model.isFolder {
          try copyTree(
            from: FilePath(model.path), to: root, relative: "", changed: changedPaths, edited: edited,
            linking: linkingUnchanged, counter: counter)
        }
        for job in jobs { try copySteps(of: job, counter: counter) }
      }
      // Where the file system shares blocks the copy ends in milliseconds: the statistics get
      // every core; where the kernel copies, one stays with the copy.
      let sharing = !jobs.isEmpty && jobs.allSatisfy { $0.sharedStep != nil }
      let written = Result { () throws(SurgeryError) -> Outcome in
        let cores = ParallelWork.defaultThreadCount
        var prepared = try prepare(sharing || copied.isFinished ? cores : max(1, cores - 1))
        return try writeRows(&prepared, jobs: jobs, rewritten: rewritten, counter: counter)
      }
      try copied.wait()
      var outcome = try written.get()
      for job in jobs {
        outcome.sharedBytes += job.plan.sharedBytes
        outcome.copiedBytes += job.plan.copiedBytes
        outcome.freshBytes += job.plan.freshBytes
      }
      counter.finish()
      try destination.commit(isFolder: model.isFolder)
      return outcome
    } catch {
      destination.discard()
      throw error
    }
  }

  /// Creates the changed file `name` at `outputPath`, plans its layout for the output's file
  /// system, and writes its header and size (the data stays a hole until it is copied or written).
  private func startFile(
    _ file: SafeTensorsFile, named name: String, at outputPath: String, rewritten: [RewrittenTensor]
  ) throws(SurgeryError) -> FileJob {
    let output = try fileSystem { () throws(FileSystemError) in try OutputFile(creating: outputPath, exclusive: true) }
    let blockSize = try fileSystem { () throws(FileSystemError) in try output.blockSize() }
    var fresh: [FreshRows] = []
    let tensors = layoutTensors(of: file, named: name, rewritten: rewritten, fresh: &fresh)
    let plan: SharingLayout.Plan
    do {
      plan = try SharingLayout.plan(
        tensors, input: file.header, fileSize: file.size, blockSize: blockSize, path: outputPath)
    } catch {
      throw .safeTensors(error)
    }
    let sharedStep = try fileSystem { () throws(FileSystemError) -> Int? in
      try output.write(plan.header, at: 0)
      try output.resize(to: Int64(plan.fileSize))
      // The first clone step, here: whether it shares tells how the rest will go.
      for (index, operation) in plan.operations.enumerated() {
        guard case .clone(let from, let to) = operation else { continue }
        let shared = try output.clone(
          from: file.input, sourceOffset: Int64(from.lowerBound), length: Int64(from.count), to: Int64(to))
        return shared ? index : nil
      }
      return nil
    }
    do {
      try output.close()
    } catch {
      throw .fileSystem(error)
    }
    return FileJob(input: file, outputPath: outputPath, plan: plan, fresh: fresh, sharedStep: sharedStep)
  }

  /// Carries out the clone and copy steps of a changed file's layout: a clone shares the blocks
  /// (`FICLONERANGE`) and falls back to the kernel's copy where the file system cannot.
  private func copySteps(of job: FileJob, counter: ProgressCounter) throws(SurgeryError) {
    let output = try fileSystem { () throws(FileSystemError) in try OutputFile(updating: job.outputPath) }
    let file = job.input
    var copies: [(from: Range<Int64>, to: Int64)] = []
    for (index, operation) in job.plan.operations.enumerated() {
      try fileSystem { () throws(FileSystemError) in
        switch operation {
        case .header(let range): counter.advance(range.count)
        case .clone(let from, _) where index == job.sharedStep: counter.advance(from.count)
        case .clone(let from, let to):
          let shared = try output.clone(
            from: file.input, sourceOffset: Int64(from.lowerBound), length: Int64(from.count), to: Int64(to))
          if shared {
            counter.advance(from.count)
          } else {
            try output.copy(
              from: file.input, range: Int64(from.lowerBound)..<Int64(from.upperBound), to: Int64(to),
              advance: counter.advance)
          }
        case .copy(let from, let to): copies.append((Int64(from.lowerBound)..<Int64(from.upperBound), Int64(to)))
        case .fresh: break
        }
      }
    }
    // Together: the many small pieces of a gather (a trim's rows) are read and written in batches.
    try fileSystem { () throws(FileSystemError) in
      try output.copy(pieces: copies, from: file.input, advance: counter.advance)
    }
    do {
      try output.close()
    } catch {
      throw .fileSystem(error)
    }
  }

  /// Makes the written rows, tensor after tensor in ``rewrittenTensors()`` order and each in
  /// output order (the order of the generator's draws), a chunk of at most 8 MiB at a time, and
  /// writes them into their places.
  private func writeRows(
    _ prepared: inout PreparedRows, jobs: [FileJob], rewritten: [RewrittenTensor], counter: ProgressCounter
  ) throws(SurgeryError) -> Outcome {
    var outcome = Outcome()
    guard !targets.isEmpty else { return outcome }
    var generator = SeededGenerator(seed: seed)
    var matrix = 0
    for (tensorIndex, tensor) in rewritten.enumerated() {
      var production: RowProduction? = nil
      if !tensor.isBias {
        guard matrix < prepared.productions.count else { continue }
        production = prepared.productions[matrix]
        matrix += 1
      }
      let chunkRows = max(1, (8 << 20) / max(tensor.rowBytes, 1))
      for job in jobs {
        let output = try fileSystem { () throws(FileSystemError) in try OutputFile(updating: job.outputPath) }
        for operation in job.plan.operations {
          guard case .fresh(let id, _, let to) = operation, job.fresh[id].tensorIndex == tensorIndex else { continue }
          let rows = job.fresh[id].targets
          var start = rows.lowerBound
          while start < rows.upperBound {
            let end = min(start + chunkRows, rows.upperBound)
            let bytes: [UInt8]
            if var making = production {
              bytes = try making.rows(start..<end, generator: &generator)
              production = making
            } else {
              bytes = Array(repeatElement(prepared.biasEntry ?? [], count: end - start).joined())
            }
            let offset = Int64(to.lowerBound + (start - rows.lowerBound) * tensor.rowBytes)
            try fileSystem { () throws(FileSystemError) in try output.write(bytes, at: offset) }
            counter.advance(bytes.count)
            start = end
          }
        }
        do {
          try output.close()
        } catch {
          throw .fileSystem(error)
        }
      }
      if let production {
        outcome.notes += production.finalNotes
        outcome.matrices += 1
        if production.fellBackToMean { outcome.mvnFallbacks += 1 }
      }
    }
    return outcome
  }

  /// `edited` without the edits that give back a file's own bytes (a tokenizer_config.json that
  /// names no removed token): those files are cloned, or linked, as unchanged files are.
  private func realEdits(_ edited: [String: [UInt8]]) -> [String: [UInt8]] {
    edited.filter { (name, bytes) in
      let path = FilePath(model.path).appending(name)
      guard path.status()?.size == Int64(bytes.count) else { return true }
      return (try? fileSystem({ () throws(FileSystemError) in try path.readAll() })) != bytes
    }
  }

  /// The bytes the output will hold: the changed files, the edited files and the rest.
  private func totalBytes(jobs: [FileJob], edited: [String: [UInt8]]) throws(SurgeryError) -> Int64 {
    var total = Int64(jobs.reduce(0) { $0 + $1.plan.fileSize })
    guard model.isFolder else { return total }
    let changed = Set(try changedFiles().map(model.relativePath(of:)))
    func walk(_ folder: FilePath, relative: String) {
      for name in (try? folder.folderEntries()) ?? [] {
        let path = folder.appending(name)
        let relativeName = relative.isEmpty ? name : relative + "/" + name
        if path.isFolder {
          walk(path, relative: relativeName)
        } else if let bytes = edited[relativeName] {
          total += Int64(bytes.count)
        } else if !changed.contains(relativeName) {
          total += path.status()?.size ?? 0
        }
      }
    }
    walk(FilePath(model.path), relative: "")
    return total
  }

  /// Writes every file of the input folder `source` into `destination` except the changed
  /// safetensors files (`changed`, paths relative to the model's root): edited files replaced,
  /// every other file cloned whole (or hard-linked: to the file a link leads to, as in a Hugging
  /// Face cache snapshot, whose files are links into its blobs).
  private func copyTree(
    from source: FilePath, to destination: FilePath, relative: String, changed: Set<String>,
    edited: [String: [UInt8]], linking: Bool, counter: ProgressCounter
  ) throws(SurgeryError) {
    for name in try fileSystem({ () throws(FileSystemError) in try source.folderEntries() }) {
      let sourcePath = source.appending(name)
      let destinationPath = destination.appending(name)
      let relativeName = relative.isEmpty ? name : relative + "/" + name
      if changed.contains(relativeName) { continue }
      try fileSystem { () throws(FileSystemError) in
        if sourcePath.isFolder {
          if !destinationPath.exists { try destinationPath.makeFolder() }
        } else if let bytes = edited[relativeName] {
          try destinationPath.writeNewFile(bytes)
          counter.advance(bytes.count)
        } else if linking {
          try (sourcePath.canonical ?? sourcePath).hardLink(at: destinationPath)
          counter.advance(Int(sourcePath.status()?.size ?? 0))
        } else {
          try sourcePath.copyFile(to: destinationPath)
          counter.advance(Int(sourcePath.status()?.size ?? 0))
        }
      }
      if sourcePath.isFolder {
        try copyTree(
          from: sourcePath, to: destinationPath, relative: relativeName, changed: changed, edited: edited,
          linking: linking, counter: counter)
      }
    }
  }
}

/// Bytes done out of bytes in all, counted from several threads, reported at most every 16 MiB.
final class ProgressCounter: Sendable {
  private let state = Mutex<(done: Int64, reported: Int64)>((0, -1))
  private let total: Int64
  private let report: (@Sendable (Int64, Int64) -> Void)?

  init(total: Int64, report: (@Sendable (Int64, Int64) -> Void)?) {
    self.total = total
    self.report = report
  }

  /// Counts `count` more bytes done.
  @Sendable func advance(_ count: Int) {
    guard let report else { return }
    let due: Int64? = state.withLock { state in
      state.done += Int64(count)
      guard state.done - state.reported >= 16 << 20 || state.done >= total else { return nil }
      state.reported = state.done
      return state.done
    }
    if let due { report(min(due, total), total) }
  }

  /// Reports the end.
  func finish() {
    report?(total, total)
  }
}

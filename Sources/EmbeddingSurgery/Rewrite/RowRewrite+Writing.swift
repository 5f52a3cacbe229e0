import FileSystem
import SafeTensors
import Synchronization
import SystemPackage

extension RowRewrite {
  /// Written rows of a rewritten tensor: a fresh piece of a layout.
  struct FreshRows: Sendable {
    /// The tensor, as an index into ``tensors``.
    let tensorIndex: Int
    /// The written rows, as numbers of written rows (see ``RowMap``).
    let rows: Range<Int>
  }

  /// One changed safetensors file of the output: its layout and where it is being built.
  struct FileJob: Sendable {
    /// The input file.
    let input: SafeTensorsFile
    /// The output file being built.
    let outputPath: FilePath
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
  func layoutTensors(of file: SafeTensorsFile, named fileName: String, fresh: inout [FreshRows])
    -> [SharingLayout.Tensor]
  {
    file.header.tensors.map { info -> SharingLayout.Tensor in
      guard let index = tensors.firstIndex(where: { $0.fileName == fileName && $0.tensor.name == info.name }) else {
        return .unchanged(info, in: file.header)
      }
      let tensor = tensors[index]
      let base = file.absoluteRange(of: info).lowerBound
      var dimensions = info.dimensions
      dimensions[tensor.rowAxis] = UInt64(rowsAfter)
      let pieces = rowMap.runs.map { run -> SharingLayout.Piece in
        switch run {
        case .original(let rows):
          return .input((base + rows.lowerBound * tensor.rowBytes)..<(base + rows.upperBound * tensor.rowBytes))
        case .written(let written):
          fresh.append(FreshRows(tensorIndex: index, rows: written))
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
  /// layout's clone and copy steps, every other file of a folder) while `source` is prepared on
  /// this thread (it may load a tokenizer, compute statistics) and fills the written rows a chunk
  /// at a time into their places.
  ///
  /// - Parameters:
  ///   - source: what fills the written rows; prepared with every core once the copy is done (as
  ///     on a copy-on-write file system, where it takes milliseconds), one fewer while the kernel
  ///     still copies.
  ///   - edited: the new text of files of a folder, keyed by path relative to the model's root.
  ///   - linkingUnchanged: make every file of a folder that does not change a hard link to the
  ///     input's (the output must be on the input's file system).
  ///   - progress: called with (bytes done, bytes in all) from time to time, from either thread.
  /// - Complexity: the changed files' new bytes, the source's work, and a copy of the rest (shared
  ///   instead of copied on a copy-on-write file system); memory does not grow with the rows
  ///   written.
  func write<Source: RowSource>(
    _ source: inout Source, edited: [String: [UInt8]], to destination: OutputDestination, linkingUnchanged: Bool,
    progress: (@Sendable (Int64, Int64) -> Void)?
  ) throws(SurgeryError) {
    let edited = realEdits(edited)
    let root = destination.temporary.path
    // A signal now removes the temporary output (see ``TemporaryOutputs``).
    destination.register()
    do {
      let others = model.isFolder ? try otherFiles() : []
      let jobs = try startFiles(at: root)
      let counter = ProgressCounter(
        total: totalBytes(jobs: jobs, others: others, edited: edited), report: progress)
      let copied = BackgroundWork.start { [jobs] () throws(SurgeryError) in
        try copy(others, to: root, edited: edited, linking: linkingUnchanged, counter: counter)
        for job in jobs { try copySteps(of: job, counter: counter) }
      }
      // Where the file system shares blocks the copy ends in milliseconds: the source gets every
      // core; where the kernel copies, one stays with the copy.
      let sharing = !jobs.isEmpty && jobs.allSatisfy { $0.sharedStep != nil }
      let written = Result { () throws(SurgeryError) in
        let cores = ParallelWork.defaultThreadCount
        try source.prepare(tensors, threads: sharing || copied.isFinished ? cores : max(1, cores - 1))
        try writeRows(&source, jobs: jobs, counter: counter)
      }
      try copied.wait()
      try written.get()
      counter.finish()
      try destination.commit(isFolder: model.isFolder)
    } catch {
      destination.discard()
      throw error
    }
  }

  /// Creates the output's folders (for a folder) and its changed files, each laid out and started.
  private func startFiles(at root: FilePath) throws(SurgeryError) -> [FileJob] {
    if model.isFolder {
      try fileSystem { () throws(FileSystemError) in
        try root.makeFolder()
        if !model.transformerFolder.isEmpty { try root.appending(model.transformerFolder).makeFolder() }
      }
    }
    var jobs: [FileJob] = []
    for name in changedFiles.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
      let file = try model.safeTensorsFile(named: name)
      let outputPath = model.isFolder ? root.appending(model.relativePath(of: name)) : root
      jobs.append(try startFile(file, named: name, at: outputPath))
    }
    return jobs
  }

  /// Creates the changed file `name` at `outputPath`, plans its layout for the output's file
  /// system, and writes its header and size (the data stays a hole until it is copied or written).
  private func startFile(_ file: SafeTensorsFile, named name: String, at outputPath: FilePath) throws(SurgeryError)
    -> FileJob
  {
    let output = try fileSystem { () throws(FileSystemError) in try OutputFile(creating: outputPath, exclusive: true) }
    let blockSize = try fileSystem { () throws(FileSystemError) in try output.blockSize() }
    var fresh: [FreshRows] = []
    let tensors = layoutTensors(of: file, named: name, fresh: &fresh)
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

  /// Fills the written rows, tensor after tensor in ``tensors`` order and each in output order
  /// (the order of a generator's draws), a chunk of at most 8 MiB at a time, and writes them into
  /// their places.
  private func writeRows<Source: RowSource>(_ source: inout Source, jobs: [FileJob], counter: ProgressCounter)
    throws(SurgeryError)
  {
    guard rowMap.writtenCount > 0 else { return }
    for (tensorIndex, tensor) in tensors.enumerated() {
      let chunkRows = max(1, (8 << 20) / max(tensor.rowBytes, 1))
      var chunk = [UInt8](repeating: 0, count: min(chunkRows, rowMap.writtenCount) * tensor.rowBytes)
      for job in jobs {
        let output = try fileSystem { () throws(FileSystemError) in try OutputFile(updating: job.outputPath) }
        for operation in job.plan.operations {
          guard case .fresh(let id, _, let to) = operation, job.fresh[id].tensorIndex == tensorIndex else { continue }
          let rows = job.fresh[id].rows
          var start = rows.lowerBound
          while start < rows.upperBound {
            let end = min(start + chunkRows, rows.upperBound)
            let count = (end - start) * tensor.rowBytes
            let offset = Int64(to.lowerBound + (start - rows.lowerBound) * tensor.rowBytes)
            try chunk.withUnsafeMutableBytes { buffer in
              Result { () throws(SurgeryError) in
                let part = UnsafeMutableRawBufferPointer(rebasing: buffer[..<count])
                try source.fill(start..<end, of: tensorIndex, into: part)
                try fileSystem { () throws(FileSystemError) in
                  try output.write(UnsafeRawBufferPointer(part), at: offset)
                }
              }
            }.get()
            counter.advance(count)
            start = end
          }
        }
        do {
          try output.close()
        } catch {
          throw .fileSystem(error)
        }
      }
    }
  }

  /// `edited` without the edits that give back a file's own bytes (a tokenizer_config.json that
  /// names no removed token): those files are cloned, or linked, as unchanged files are.
  private func realEdits(_ edited: [String: [UInt8]]) -> [String: [UInt8]] {
    edited.filter { (name, bytes) in
      let path = model.path.appending(name)
      guard path.status()?.size == Int64(bytes.count) else { return true }
      return (try? fileSystem({ () throws(FileSystemError) in try path.readAll() })) != bytes
    }
  }

  /// A file or folder of the input folder that is not a changed safetensors file.
  struct OtherFile: Sendable {
    /// Its path relative to the model's root.
    let relativePath: String
    /// Whether it is a folder.
    let isFolder: Bool
    /// Its size (a link's: the size of the file it leads to).
    let size: Int64
  }

  /// Every file and folder of the model's folder but the changed safetensors files (and the
  /// plan's removed files), each folder
  /// before what it holds: the one walk of the input folder.
  private func otherFiles() throws(SurgeryError) -> [OtherFile] {
    let changed = Set(changedFiles.map(model.relativePath(of:)))
    var files: [OtherFile] = []
    func walk(_ folder: FilePath, relative: String) throws(SurgeryError) {
      for name in try fileSystem({ () throws(FileSystemError) in try folder.folderEntries() }) {
        let path = folder.appending(name)
        let relativePath = relative.isEmpty ? name : relative + "/" + name
        if changed.contains(relativePath) || removedFiles.contains(relativePath) { continue }
        let isFolder = path.isFolder
        files.append(OtherFile(relativePath: relativePath, isFolder: isFolder, size: path.status()?.size ?? 0))
        if isFolder { try walk(path, relative: relativePath) }
      }
    }
    try walk(model.path, relative: "")
    return files
  }

  /// The bytes the output will hold: the changed files, the edited files and the rest.
  private func totalBytes(jobs: [FileJob], others: [OtherFile], edited: [String: [UInt8]]) -> Int64 {
    let present = Set(others.map(\.relativePath))
    let added = edited.reduce(Int64(0)) { $0 + (present.contains($1.key) ? 0 : Int64($1.value.count)) }
    return others.reduce(Int64(jobs.reduce(0) { $0 + $1.plan.fileSize }) + added) { total, file in
      if file.isFolder { return total }
      return total + (edited[file.relativePath].map { Int64($0.count) } ?? file.size)
    }
  }

  /// Writes `others` (files of the input folder) into the folder `root`: edited files replaced
  /// (and written when the input has no such file), every other file cloned whole (or hard-linked: to the file a link leads to, as in a Hugging
  /// Face cache snapshot, whose files are links into its blobs).
  private func copy(
    _ others: [OtherFile], to root: FilePath, edited: [String: [UInt8]], linking: Bool, counter: ProgressCounter
  ) throws(SurgeryError) {
    let input = model.path
    for file in others {
      let source = input.appending(file.relativePath)
      let destination = root.appending(file.relativePath)
      try fileSystem { () throws(FileSystemError) in
        if file.isFolder {
          if !destination.exists { try destination.makeFolder() }
        } else if let bytes = edited[file.relativePath] {
          try destination.writeNewFile(bytes)
          counter.advance(bytes.count)
        } else if linking {
          try (source.canonical ?? source).hardLink(at: destination)
          counter.advance(Int(file.size))
        } else {
          try source.copyFile(to: destination)
          counter.advance(Int(file.size))
        }
      }
    }
    // Edited files the input does not have (transplant: a donor's tokenizer file the base lacks).
    let present = Set(others.map(\.relativePath))
    for (relativePath, bytes) in edited.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) })
    where !present.contains(relativePath) {
      try fileSystem { () throws(FileSystemError) in try root.appending(relativePath).writeNewFile(bytes) }
      counter.advance(bytes.count)
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

import FileSystem
import SystemPackage

/// Where the result goes, checked against the input.
struct OutputDestination {
  /// The final path.
  let path: FilePath
  /// Whether something is already there and will be replaced.
  let replaces: Bool
  /// The temporary path the result is built at, beside the final path.
  let temporary: TemporaryName
  /// Checks `output` against the model at `inputPath`.
  init(_ output: SurgeryOutput, inputPath: FilePath, inputIsFolder: Bool)
    throws(SurgeryError)
  {
    switch output {
    case .inPlace:
      path = inputPath
      // What a killed earlier run left: partial outputs removed, a moved-aside output put back.
      TemporaryName.cleanStale(besides: inputPath)
      replaces = true
    case .path(let requested, let replacingExisting):
      path = requested
      let target = requested
      TemporaryName.cleanStale(besides: target)
      let input = inputPath.canonical ?? inputPath
      let output = target.canonicalForNewFile
      if output == input {
        throw .invalidOutput(path: requested, .isTheInput)
      }
      if inputIsFolder, output.starts(with: input) {
        throw .invalidOutput(path: requested, .insideInput(folder: inputPath))
      }
      if target.exists {
        guard replacingExisting else {
          throw .invalidOutput(path: requested, .exists)
        }
        if target.isFolder != inputIsFolder {
          throw .invalidOutput(path: requested, .kindMismatch(outputIsFolder: inputIsFolder))
        }
        replaces = true
      } else {
        replaces = false
      }
      guard target.folder.isFolder else {
        throw .invalidOutput(path: requested, .missingFolder(target.folder))
      }
    }
    temporary = TemporaryName(for: path, kind: .partial)
  }

  /// Registers the temporary path for removal on interruption (see ``TemporaryOutputs``).
  func register() {
    TemporaryOutputs.register(.remove(temporary.path))
  }

  /// Moves the completed result from the temporary path to the final one. An existing result is
  /// replaced only now; a folder is first moved aside and removed once the new one is in place.
  func commit(isFolder: Bool) throws(SurgeryError) {
    let target = path
    guard isFolder, replaces else {
      try fileSystem { () throws(FileSystemError) in try temporary.path.rename(to: target) }
      TemporaryOutputs.unregister(.remove(temporary.path))
      return
    }
    let aside = TemporaryName(for: target, kind: .old).path
    TemporaryOutputs.register(.restore(aside: aside, path: target))
    try fileSystem { () throws(FileSystemError) in try target.rename(to: aside) }
    do {
      try fileSystem { () throws(FileSystemError) in try temporary.path.rename(to: target) }
    } catch {
      try? aside.rename(to: target)
      TemporaryOutputs.unregister(.restore(aside: aside, path: target))
      throw error
    }
    TemporaryOutputs.unregister(.remove(temporary.path))
    TemporaryOutputs.register(.remove(aside))
    TemporaryOutputs.unregister(.restore(aside: aside, path: target))
    aside.removeTree()
    TemporaryOutputs.unregister(.remove(aside))
  }

  /// Removes whatever was built at the temporary path.
  func discard() {
    temporary.path.removeTree()
    TemporaryOutputs.unregister(.remove(temporary.path))
  }
}

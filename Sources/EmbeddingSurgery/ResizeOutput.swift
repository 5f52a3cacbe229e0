/// Where a resize writes its result.
public enum ResizeOutput: Sendable, Equatable {
  /// A new file or folder at a path; `replacingExisting` allows replacing what is there
  /// (kept intact until the new one is complete).
  case path(String, replacingExisting: Bool)
  /// Over the input itself, once the complete new checkpoint has been built beside it.
  case inPlace
}

/// Where the result goes, checked against the input.
struct OutputDestination {
  /// The final path.
  let path: String
  /// Whether something is already there and will be replaced.
  let replaces: Bool
  /// The temporary path the result is built at, beside the final path.
  let temporaryPath: String

  /// Checks `output` against the model at `inputPath`.
  init(_ output: ResizeOutput, inputPath: String, inputIsFolder: Bool, defaultPath: String)
    throws(SurgeryError)
  {
    switch output {
    case .inPlace:
      path = inputPath
      TemporaryOutputs.cleanStale(besides: inputPath)
      replaces = true
    case .path(let requested, let replacingExisting):
      path = requested
      // What a killed earlier run left: partial outputs removed, a moved-aside output put back.
      TemporaryOutputs.cleanStale(besides: requested)
      let inputCanonical = FileAccess.canonicalPath(inputPath) ?? inputPath
      let outputCanonical = OutputDestination.canonicalForm(of: requested)
      if outputCanonical == inputCanonical {
        throw .invalidOutput(
          path: requested, reason: "is the input itself; use --in-place to replace the input")
      }
      if inputIsFolder, outputCanonical.hasPrefix(inputCanonical + "/") {
        throw .invalidOutput(path: requested, reason: "is inside the input folder \(inputPath)")
      }
      if FileAccess.exists(requested) {
        guard replacingExisting else {
          throw .invalidOutput(path: requested, reason: "already exists (use --force to replace it)")
        }
        if FileAccess.isDirectory(requested) != inputIsFolder {
          throw .invalidOutput(
            path: requested,
            reason: inputIsFolder
              ? "is a file; a model folder cannot replace it" : "is a folder; a file cannot replace it")
        }
        replaces = true
      } else {
        replaces = false
      }
      let parent = ModelCheckpoint.parentFolder(of: requested)
      guard FileAccess.isDirectory(parent) else {
        throw .invalidOutput(path: requested, reason: "its folder \(parent) does not exist")
      }
    }
    let parent = ModelCheckpoint.parentFolder(of: path)
    var name = String(path.split(separator: "/").last ?? "output")
    if name.isEmpty { name = "output" }
    temporaryPath = "\(parent)/.\(name).embsurgery-partial-\(getpid())"
  }

  /// Registers the temporary path for removal on interruption (see ``TemporaryOutputs``).
  func register() {
    TemporaryOutputs.register(.remove(temporaryPath))
  }

  /// The canonical form of a path that may not exist yet: its folder resolved, its name kept.
  static func canonicalForm(of path: String) -> String {
    if let resolved = FileAccess.canonicalPath(path) { return resolved }
    var trimmed = path
    while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
    let parent = ModelCheckpoint.parentFolder(of: trimmed)
    let name = trimmed.split(separator: "/").last.map(String.init) ?? trimmed
    return (FileAccess.canonicalPath(parent) ?? parent) + "/" + name
  }

  /// Moves the completed result from the temporary path to the final one. An existing result is
  /// replaced only now; a folder is first moved aside and removed once the new one is in place.
  func commit(isFolder: Bool) throws(SurgeryError) {
    guard isFolder, replaces else {
      try FileAccess.rename(temporaryPath, to: path)
      TemporaryOutputs.unregister(.remove(temporaryPath))
      return
    }
    let parent = ModelCheckpoint.parentFolder(of: path)
    let name = path.split(separator: "/").last.map(String.init) ?? "output"
    let aside = "\(parent)/.\(name).embsurgery-old-\(getpid())"
    TemporaryOutputs.register(.restore(aside: aside, path: path))
    try FileAccess.rename(path, to: aside)
    do {
      try FileAccess.rename(temporaryPath, to: path)
    } catch {
      try? FileAccess.rename(aside, to: path)
      TemporaryOutputs.unregister(.restore(aside: aside, path: path))
      throw error
    }
    TemporaryOutputs.unregister(.remove(temporaryPath))
    TemporaryOutputs.register(.remove(aside))
    TemporaryOutputs.unregister(.restore(aside: aside, path: path))
    FileAccess.removeTree(aside)
    TemporaryOutputs.unregister(.remove(aside))
  }

  /// Removes whatever was built at the temporary path.
  func discard() {
    FileAccess.removeTree(temporaryPath)
    TemporaryOutputs.unregister(.remove(temporaryPath))
  }
}

#if canImport(Glibc)
  import Glibc
#endif

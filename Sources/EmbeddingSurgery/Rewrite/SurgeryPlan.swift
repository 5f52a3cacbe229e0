import FileSystem
import StrictJSON
import SystemPackage

/// What every surgery plan has: a model and the tensors it rewrites (the embedding, an untied
/// head, a head bias), where its output goes by default, and a way to run it or dry-run it: what
/// the command line needs. Every plan of the library is a ``RowRewritingPlan``, whose pipeline
/// implements ``execute(into:linkingUnchanged:progress:)`` and ``dryRunReport(output:)``.
public protocol SurgeryPlan: Sendable {
  /// The model operated on.
  var model: ModelCheckpoint { get }
  /// The tensors whose rows are rewritten.
  var roles: TensorRoles { get }
  /// The word that names the default output: `resized` gives `NAME-resized.safetensors` beside a
  /// file and `DIR-resized` beside a folder.
  static var outputSuffix: String { get }

  /// What the plan reports, run or dry-run.
  associatedtype Report: SurgeryReport
  /// Whether running the plan writes anything (resize always does; fix-untrained and trim write
  /// nothing when there is no row to fix or token to remove).
  var writesAnything: Bool { get }
  /// The report of the plan without writing anything (`--dry-run`).
  func dryRunReport(output: SurgeryOutput) throws(SurgeryError) -> Report
  /// Carries out the plan into `output`: the input is never written (but for
  /// ``SurgeryOutput/inPlace``), and a failed run leaves nothing at the output path.
  ///
  /// - Parameters:
  ///   - linkingUnchanged: hard-link the files that do not change instead of copying them.
  ///   - progress: called with (bytes done, bytes in all) from time to time, from a writing thread.
  func execute(
    into output: SurgeryOutput, linkingUnchanged: Bool, progress: (@Sendable (Int64, Int64) -> Void)?
  ) throws(SurgeryError) -> Report
}

extension SurgeryPlan {
  /// Where the output goes by default: `NAME-SUFFIX.safetensors` beside a file, `DIR-SUFFIX`
  /// beside a folder (see ``outputSuffix``); for a model named by a Hugging Face repository id,
  /// `NAME-SUFFIX` in the current folder (never inside the cache).
  public var defaultOutputPath: FilePath {
    if let id = model.repositoryID {
      return FilePath((id.split(separator: "/").last.map(String.init) ?? id) + "-" + Self.outputSuffix)
    }
    let input = model.path
    var name = input.name + "-" + Self.outputSuffix
    if !model.isFolder, input.extension == "safetensors", let stem = input.stem {
      name = stem + "-" + Self.outputSuffix + ".safetensors"
    }
    let parent = input.removingLastComponent()
    return parent.isEmpty ? FilePath(name) : parent.appending(name)
  }

  /// The path `output` names (the input's own for ``SurgeryOutput/inPlace``).
  public func outputPath(for output: SurgeryOutput) -> FilePath {
    switch output {
    case .inPlace: model.path
    case .path(let path, _): path
    }
  }

  /// The names of the tensors a surgery of this model rewrites.
  public var rewrittenTensors: [String] {
    [roles.embedding, roles.head, roles.headBias].compactMap { $0?.name.string }
  }

  /// `output` checked against the model; hard links to the input's files need the output on the
  /// input's file system.
  func destination(for output: SurgeryOutput, linkingUnchanged: Bool = false) throws(SurgeryError)
    -> OutputDestination
  {
    if output == .inPlace, let id = model.repositoryID {
      throw .invalidRequest(
        path: FilePath(id),
        reason: "is a snapshot of the Hugging Face cache, which is never written: write the result elsewhere")
    }
    let destination = try OutputDestination(output, inputPath: model.path, inputIsFolder: model.isFolder)
    if linkingUnchanged, model.isFolder {
      let input = model.path.status()?.identity.device
      let output = destination.path.folder.status()?.identity.device
      guard input != nil, input == output else {
        throw .invalidOutput(path: destination.path, .notOnInputFileSystem(input: model.path))
      }
    }
    return destination
  }

  /// What the report says of hard links, when the unchanged files were linked.
  func linkNotes(_ linkingUnchanged: Bool) -> [String] {
    guard linkingUnchanged else { return [] }
    guard model.isFolder else { return ["a single file has no unchanged files to link: nothing was linked"] }
    return [
      "the files that did not change are hard links to the input's: the two folders share them, so editing one in place edits both"
    ]
  }
}

import FileSystem
import SystemPackage

/// What every surgery plan has: a model and the tensors it rewrites (the embedding, an untied
/// head, a head bias). Resize, fix-untrained and trim share through it where their output goes
/// by default and which tensors they change.
public protocol SurgeryPlan: Sendable {
  /// The model operated on.
  var model: ModelCheckpoint { get }
  /// The tensors whose rows are rewritten.
  var roles: TensorRoles { get }
  /// The word that names the default output: `resized` gives `NAME-resized.safetensors` beside a
  /// file and `DIR-resized` beside a folder.
  static var outputSuffix: String { get }
}

extension SurgeryPlan {
  /// Where the output goes by default: `NAME-SUFFIX.safetensors` beside a file, `DIR-SUFFIX`
  /// beside a folder (see ``outputSuffix``).
  public var defaultOutputPath: String {
    let input = FilePath(model.path)
    var name = input.name + "-" + Self.outputSuffix
    if !model.isFolder, input.extension == "safetensors", let stem = input.stem {
      name = stem + "-" + Self.outputSuffix + ".safetensors"
    }
    let parent = input.removingLastComponent()
    return parent.isEmpty ? name : parent.appending(name).string
  }

  /// The path `output` names (the input's own for ``SurgeryOutput/inPlace``).
  public func outputPath(for output: SurgeryOutput) -> String {
    switch output {
    case .inPlace: model.path
    case .path(let path, _): path
    }
  }

  /// The names of the tensors a surgery of this model rewrites.
  public var rewrittenTensors: [String] {
    [roles.embedding, roles.head, roles.headBias].compactMap { $0?.name.string }
  }

  /// `output` checked against the model.
  func destination(for output: SurgeryOutput) throws(SurgeryError) -> OutputDestination {
    try OutputDestination(output, inputPath: model.path, inputIsFolder: model.isFolder)
  }
}

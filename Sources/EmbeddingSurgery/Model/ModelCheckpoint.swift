import FileSystem
import SafeTensors
import StrictJSON
import SystemPackage
import Tokenization

/// A model on disk: its safetensors checkpoint (a file, a folder with `model.safetensors`, or a
/// folder with `model.safetensors.index.json` and shards) and, for a folder, the `config.json` and
/// tokenizer files beside it.
///
/// Opening reads only headers and small JSON files; tensor data stays mapped until it is used.
public final class ModelCheckpoint: Sendable {
  /// The path the user gave: a `.safetensors` file or a model folder.
  public let path: String
  /// Whether ``path`` is a folder (its tokenizer and config files are updated by a surgery).
  public let isFolder: Bool
  /// The safetensors files.
  public let checkpoint: Checkpoint
  /// The tokenizer.json used to assign ids and split tokens, when there is one.
  public let tokenizerPath: String?
  /// The parsed tokenizer.json.
  let tokenizerJSON: JSONValue?
  /// The raw bytes of the tokenizer.json.
  let tokenizerBytes: [UInt8]?
  /// The vocabulary of the tokenizer.json.
  public let vocabulary: TokenizerVocabulary?
  /// The config.json of a folder, when present.
  public let config: ModelConfig?

  /// Opens a model.
  ///
  /// - Parameters:
  ///   - path: a `.safetensors` file or a model folder.
  ///   - tokenizerPath: a tokenizer.json to use instead of the one in the folder (or beside the file).
  /// - Throws: ``SurgeryError`` naming the file that is missing or malformed.
  public init(path: String, tokenizerPath: String? = nil) throws(SurgeryError) {
    self.path = path
    let location = FilePath(path)
    guard location.exists else {
      throw .fileSystem(.failed(operation: "open", path: path, errno: .noSuchFileOrDirectory))
    }
    isFolder = location.isFolder
    do {
      checkpoint = try Checkpoint.open(path: path)
    } catch {
      throw .safeTensors(error)
    }
    let folder = isFolder ? location : location.folder
    var tokenizer = tokenizerPath
    if tokenizer == nil, folder.appending("tokenizer.json").exists {
      tokenizer = folder.appending("tokenizer.json").string
    }
    self.tokenizerPath = tokenizer
    if let tokenizer {
      let (bytes, json) = try JSONFile.read(tokenizer)
      tokenizerBytes = bytes
      tokenizerJSON = json
      do {
        vocabulary = try TokenizerVocabulary(json: json, path: tokenizer)
      } catch {
        throw .tokenization(error)
      }
    } else {
      tokenizerBytes = nil
      tokenizerJSON = nil
      vocabulary = nil
    }
    let configPath = location.appending("config.json").string
    if isFolder, let found = try JSONFile.readIfPresent(configPath) {
      config = ModelConfig(path: configPath, json: found)
    } else {
      config = nil
    }
  }

  /// `config.json`'s vocabulary size, when there is one (see ``ModelConfig/vocabularySize``).
  public var configVocabularySize: Int? { config?.vocabularySize }

  /// The encoder of the tokenizer.json, for the `nearest` initializer.
  func makeTokenizer() throws(SurgeryError) -> Tokenizer? {
    guard let tokenizerJSON, let tokenizerPath else { return nil }
    do {
      return try Tokenizer(json: tokenizerJSON, path: tokenizerPath)
    } catch {
      throw .tokenization(error)
    }
  }

  /// The folder holding the model's files: the folder itself, or the folder of a bare file.
  var folder: FilePath { isFolder ? FilePath(path) : FilePath(path).folder }

  /// Whether the tokenizer.json used is the model folder's own (a surgery then edits it).
  var ownsTokenizerJSON: Bool {
    isFolder && tokenizerPath.map { FilePath($0) == folder.appending("tokenizer.json") } == true
  }

  /// The safetensors file `name` of the checkpoint (see ``Checkpoint/file(named:)``).
  ///
  /// - Throws: ``SurgeryError/safeTensors(_:)`` when it cannot be opened.
  func safeTensorsFile(named name: String) throws(SurgeryError) -> SafeTensorsFile {
    do {
      return try checkpoint.file(named: name)
    } catch {
      throw .safeTensors(error)
    }
  }
}

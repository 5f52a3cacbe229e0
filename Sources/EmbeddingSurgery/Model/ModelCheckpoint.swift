import FileSystem
import SafeTensors
import StrictJSON
import SystemPackage
import Tokenization

/// A model on disk: its safetensors checkpoint (a file, a folder with `model.safetensors`, or a
/// folder with `model.safetensors.index.json` and shards) and, for a folder, the `config.json` and
/// tokenizer files beside it. A sentence-transformers folder (`modules.json` at its root) is a
/// model folder whose transformer is at the root or in a subfolder (`0_Transformer/`): its files
/// are the ones a surgery edits, the rest is copied.
///
/// Opening reads only headers and small JSON files; tensor data stays mapped until it is used.
public final class ModelCheckpoint: Sendable {
  /// The path of the model: the `.safetensors` file or the model folder the user gave, or the
  /// snapshot folder of a Hugging Face repository id.
  public let path: FilePath
  /// The Hugging Face repository id the model was named by, when it was (``open(_:revision:tokenizerPath:cache:)``).
  public let repositoryID: String?
  /// The folder, relative to ``path``, of a sentence-transformers folder's transformer (`""` when
  /// it is at the root, and for every other model).
  public let transformerFolder: String
  /// Whether ``path`` is a folder (its tokenizer and config files are updated by a surgery).
  public let isFolder: Bool
  /// The safetensors files.
  public let checkpoint: Checkpoint
  /// The tokenizer.json used to assign ids and split tokens, when there is one.
  public let tokenizerPath: FilePath?
  /// The parsed tokenizer.json.
  let tokenizerJSON: JSONValue?
  /// The raw bytes of the tokenizer.json.
  let tokenizerBytes: [UInt8]?
  /// The vocabulary of the tokenizer.json.
  public let vocabulary: TokenizerVocabulary?
  /// The config.json of a folder, when present.
  public let config: ModelConfig?

  /// Opens a model named by a path (a `.safetensors` file, a model folder, a sentence-transformers
  /// folder) or, when no file or folder is there, by a Hugging Face repository id resolved offline
  /// in the local cache (``HubCache``). A path that exists always wins over an id. The one way a
  /// model is opened.
  ///
  /// - Parameters:
  ///   - name: a path, or a repository id (`ORG/NAME`).
  ///   - revision: for a repository id, a branch, a tag or a commit hash (default `main`).
  ///   - tokenizerPath: a tokenizer.json to use instead of the one in the folder (or beside the file).
  ///   - cache: the cache to look in (default: the one the environment names).
  /// - Throws: ``SurgeryError/notInCache(id:revision:lookedIn:)`` for an id the cache does not hold;
  ///   ``SurgeryError/invalidRequest(path:reason:)`` for a revision with a path; ``SurgeryError``
  ///   naming the file that is missing or malformed.
  public static func open(
    _ name: String, revision: String? = nil, tokenizerPath: FilePath? = nil, cache: HubCache = .current
  ) throws(SurgeryError) -> ModelCheckpoint {
    let (path, repositoryID) = try locate(name, revision: revision, cache: cache)
    return try ModelCheckpoint(path: path, tokenizerPath: tokenizerPath, repositoryID: repositoryID)
  }

  /// Where the model `name` is: the path itself when something is there, else the snapshot folder
  /// of the repository id `name` at `revision`, with the id.
  package static func locate(_ name: String, revision: String?, cache: HubCache = .current) throws(SurgeryError)
    -> (path: FilePath, repositoryID: String?)
  {
    if FilePath(name).exists {
      if revision != nil {
        throw .invalidRequest(
          path: FilePath(name), reason: "is a path; a revision applies only to a Hugging Face repository id")
      }
      return (FilePath(name), nil)
    }
    guard HubCache.isRepositoryID(name) else {
      throw .fileSystem(.failed(operation: "open", path: FilePath(name), errno: .noSuchFileOrDirectory))
    }
    return (try cache.snapshot(of: name, revision: revision), name)
  }

  private init(path: FilePath, tokenizerPath: FilePath?, repositoryID: String?) throws(SurgeryError) {
    self.path = path
    self.repositoryID = repositoryID
    let root = path
    guard root.exists else {
      throw .fileSystem(.failed(operation: "open", path: path, errno: .noSuchFileOrDirectory))
    }
    isFolder = root.isFolder
    transformerFolder = isFolder ? try ModelCheckpoint.transformerFolder(in: root) : ""
    let location = transformerFolder.isEmpty ? root : root.appending(transformerFolder)
    do {
      checkpoint = try Checkpoint.open(path: location)
    } catch {
      throw .safeTensors(error)
    }
    let folder = isFolder ? location : location.folder
    var tokenizer = tokenizerPath
    if tokenizer == nil, folder.appending("tokenizer.json").exists {
      tokenizer = folder.appending("tokenizer.json")
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
    let configPath = location.appending("config.json")

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
    guard let tokenizerJSON, let tokenizerPath, let vocabulary else { return nil }
    do {
      return try Tokenizer(json: tokenizerJSON, vocabulary: vocabulary, path: tokenizerPath)
    } catch {
      throw .tokenization(error)
    }
  }

  /// The folder holding the model's files: the folder itself (its transformer's folder, for a
  /// sentence-transformers folder), or the folder of a bare file.
  var folder: FilePath {
    guard isFolder else { return path.folder }
    return transformerFolder.isEmpty ? path : path.appending(transformerFolder)
  }

  /// The path, relative to ``path``, of the file `name` of the model's folder (``folder``).
  func relativePath(of name: String) -> String {
    transformerFolder.isEmpty ? name : transformerFolder + "/" + name
  }

  /// The transformer's folder of a sentence-transformers folder (`modules.json` at the root):
  /// the `path` of its `sentence_transformers.models.Transformer` module; `""` for any other folder.
  private static func transformerFolder(in root: FilePath) throws(SurgeryError) -> String {
    let modulesPath = root.appending("modules.json")
    guard let modules = try JSONFile.readIfPresent(modulesPath) else { return "" }
    guard let list = modules.elements else {
      throw .unexpectedJSON(path: modulesPath, reason: "is not a list of modules")
    }
    let transformer = list.first { $0["type"]?.string?.hasSuffix("models.Transformer") == true }
    guard let relative = transformer?["path"]?.string, !relative.isEmpty else { return "" }
    guard ShardIndex.isPlainFileName(relative) else {
      throw .unexpectedJSON(
        path: modulesPath, reason: "names the transformer's folder \(relative), which is not inside it")
    }
    return relative
  }

  /// Whether the tokenizer.json used is the model folder's own (a surgery then edits it).
  var ownsTokenizerJSON: Bool {
    isFolder && tokenizerPath == folder.appending("tokenizer.json")
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

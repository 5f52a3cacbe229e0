import FileSystem
import SafeTensors
import StrictJSON
import SystemPackage
import Tokenization

/// What one side of a diff holds.
struct DiffSide {
  var tokens: TokenizerVocabulary?
  var hasConfig = false
  var configVocabularySize: Int?
  var checkpoint: Checkpoint?

  /// Reads what `name` holds: a path, or (when nothing is there) a Hugging Face repository id
  /// resolved in the local cache at its `main` revision.
  init(path name: String) throws(SurgeryError) {
    var path = name
    if !FilePath(name).exists, HubCache.isRepositoryID(name) {
      path = try HubCache.current.snapshot(of: name).string
    }
    let location = FilePath(path)
    guard location.exists else {
      throw .fileSystem(.failed(operation: "open", path: path, errno: .noSuchFileOrDirectory))
    }
    func open() throws(SurgeryError) -> Checkpoint {
      do {
        return try Checkpoint.open(path: path)
      } catch {
        throw .safeTensors(error)
      }
    }
    if location.isFolder {
      let tokenizerPath = location.appending("tokenizer.json")
      if tokenizerPath.exists { tokens = try DiffSide.vocabulary(at: tokenizerPath.string) }
      let configPath = location.appending("config.json").string
      if let config = try JSONFile.readIfPresent(configPath) {
        hasConfig = true
        configVocabularySize = ModelConfig(path: configPath, json: config).vocabularySize
      }
      if location.appending("model.safetensors").exists || location.appending(ShardIndex.fileName).exists {
        checkpoint = try open()
      }
      if tokens == nil, !hasConfig, checkpoint == nil {
        throw .invalidRequest(path: path, reason: "the folder has no tokenizer.json, config.json or checkpoint")
      }
    } else if path.hasSuffix(".safetensors") {
      checkpoint = try open()
    } else {
      tokens = try DiffSide.vocabulary(at: path)
    }
  }

  /// The vocabulary of the tokenizer.json at `path`.
  static func vocabulary(at path: String) throws(SurgeryError) -> TokenizerVocabulary {
    let json = try JSONFile.read(path).value
    do {
      return try TokenizerVocabulary(json: json, path: path)
    } catch {
      throw .tokenization(error)
    }
  }
}

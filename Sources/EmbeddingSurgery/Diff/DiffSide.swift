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

  /// Reads what `name` holds: a model (a `.safetensors` file, a model folder, a
  /// sentence-transformers folder), opened as every command opens one
  /// (``ModelCheckpoint/open(_:revision:tokenizerPath:cache:)``), or a tokenizer.json, or a
  /// folder with only a tokenizer.json or a config.json. A name where nothing is is a Hugging Face
  /// repository id, resolved in the local cache at `revision` (default `main`).
  init(_ name: String, revision: String?) throws(SurgeryError) {
    let path = try ModelCheckpoint.locate(name, revision: revision).path
    guard DiffSide.holdsCheckpoint(path) else {
      self = try DiffSide(notAModel: path)
      return
    }
    let model = try ModelCheckpoint.open(name, revision: revision)
    // A bare file's side is its tensors alone.
    self = DiffSide(
      tokens: model.isFolder ? model.vocabulary : nil, hasConfig: model.isFolder && model.config != nil,
      configVocabularySize: model.isFolder ? model.configVocabularySize : nil, checkpoint: model.checkpoint)
  }

  private init(
    tokens: TokenizerVocabulary?, hasConfig: Bool, configVocabularySize: Int?, checkpoint: Checkpoint?
  ) {
    self.tokens = tokens
    self.hasConfig = hasConfig
    self.configVocabularySize = configVocabularySize
    self.checkpoint = checkpoint
  }

  /// Whether `path` is a checkpoint: a `.safetensors` file, or a folder with `model.safetensors`
  /// or a shard index (in its transformer's folder, for a sentence-transformers folder).
  static func holdsCheckpoint(_ path: FilePath) -> Bool {
    guard path.isFolder else { return path.extension == "safetensors" }
    if path.appending("modules.json").exists { return true }
    return path.appending("model.safetensors").exists || path.appending(ShardIndex.fileName).exists
  }

  /// Reads a tokenizer.json, or a folder with a tokenizer.json or a config.json but no checkpoint.
  private init(notAModel path: FilePath) throws(SurgeryError) {
    checkpoint = nil
    guard path.isFolder else {
      tokens = try DiffSide.vocabulary(at: path)
      return
    }
    let tokenizerPath = path.appending("tokenizer.json")
    if tokenizerPath.exists { tokens = try DiffSide.vocabulary(at: tokenizerPath) }
    let configPath = path.appending("config.json")
    if let config = try JSONFile.readIfPresent(configPath) {
      hasConfig = true
      configVocabularySize = ModelConfig(path: configPath, json: config).vocabularySize
    }
    if tokens == nil, !hasConfig {
      throw .invalidRequest(path: path, reason: "the folder has no tokenizer.json, config.json or checkpoint")
    }
  }

  /// The vocabulary of the tokenizer.json at `path`.
  static func vocabulary(at path: FilePath) throws(SurgeryError) -> TokenizerVocabulary {
    let json = try JSONFile.read(path).value
    do {
      return try TokenizerVocabulary(json: json, path: path)
    } catch {
      throw .tokenization(error)
    }
  }
}

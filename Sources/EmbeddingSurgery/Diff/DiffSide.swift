import FileSystem
import SafeTensors
import StrictJSON
import SystemPackage

/// What one side of a diff holds.
struct DiffSide {
  var tokens: TokenTable?
  var hasConfig = false
  var configVocabularySize: Int?
  var checkpoint: Checkpoint?

  init(path: String) throws(SurgeryError) {
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
      if tokenizerPath.exists { tokens = try TokenTable(path: tokenizerPath.string) }
      if let config = try JSONFile.readIfPresent(location.appending("config.json").string) {
        hasConfig = true
        configVocabularySize = config["vocab_size"]?.number?.int ?? config["text_config"]?["vocab_size"]?.number?.int
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
      tokens = try TokenTable(path: path)
    }
  }
}

import SafeTensors
import StrictJSON

/// What one side of a diff holds.
struct DiffSide {
  var tokens: TokenTable?
  var hasConfig = false
  var configVocabularySize: Int?
  var checkpoint: Checkpoint?

  init(path: String) throws(SurgeryError) {
    guard FileAccess.exists(path) else { throw .io(path: path, operation: "open", code: 2) }
    func open() throws(SurgeryError) -> Checkpoint {
      do {
        return try Checkpoint.open(path: path)
      } catch {
        throw .safeTensors(error)
      }
    }
    if FileAccess.isDirectory(path) {
      let folder = path.hasSuffix("/") ? path : path + "/"
      if FileAccess.exists(folder + "tokenizer.json") { tokens = try TokenTable(path: folder + "tokenizer.json") }
      if FileAccess.exists(folder + "config.json") {
        hasConfig = true
        let configPath = folder + "config.json"
        let config = try FileAccess.readJSON(configPath).value
        configVocabularySize = config["vocab_size"]?.number?.int ?? config["text_config"]?["vocab_size"]?.number?.int
      }
      if FileAccess.exists(folder + "model.safetensors") || FileAccess.exists(folder + ShardIndex.fileName) {
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

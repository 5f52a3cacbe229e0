import StrictJSON
import SystemPackage

/// A model folder's config.json: the facts the surgeries read from it.
public struct ModelConfig: Sendable {
  /// The file's path.
  public let path: FilePath
  /// Its parsed contents.
  public let json: JSONValue

  /// The config at `path`, already parsed.
  init(path: FilePath, json: JSONValue) {
    self.path = path
    self.json = json
  }

  /// `vocab_size`, or `text_config.vocab_size` for multimodal models: the one lookup of the
  /// vocabulary size a config declares.
  public var vocabularySize: Int? {
    json["vocab_size"]?.number?.int ?? json["text_config"]?["vocab_size"]?.number?.int
  }
}

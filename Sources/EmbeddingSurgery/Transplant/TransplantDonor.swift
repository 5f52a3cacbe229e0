import FileSystem
import SafeTensors
import StrictJSON
import SystemPackage
import Tokenization

/// The model whose tokenizer a transplant gives the base model: a folder (or a Hugging Face cache
/// snapshot) with a tokenizer.json, its tokenizer_config.json and other tokenizer files, and,
/// when it has safetensors weights, its embedding and head (for `--init omp`).
public struct TransplantDonor: Sendable {
  /// The folder.
  public let path: FilePath
  /// The Hugging Face repository id it was named by, when it was.
  public let repositoryID: String?
  /// Its tokenizer.json.
  public let tokenizerPath: FilePath
  let tokenizerJSON: JSONValue
  /// The tokenizer's vocabulary.
  public let vocabulary: TokenizerVocabulary
  /// What each token stands for.
  package let bytes: VocabularyBytes
  /// Its config.json's vocabulary size, when it declares one.
  public let configVocabularySize: Int?
  /// The roles its files give its special tokens.
  package let roles: SpecialRoles
  /// Its weights, when it has any.
  public let weights: ModelCheckpoint?

  /// Opens the donor named by a path or, when nothing is there, a Hugging Face repository id.
  ///
  /// - Throws: ``SurgeryError`` when it is not a folder, has no tokenizer.json, or one of its
  ///   files cannot be read.
  public static func open(_ name: String, revision: String? = nil, cache: HubCache = .current) throws(SurgeryError)
    -> TransplantDonor
  {
    if FilePath(name).exists {
      if revision != nil {
        throw .invalidRequest(
          path: FilePath(name), reason: "is a path; a revision applies only to a Hugging Face repository id")
      }
      return try TransplantDonor(folder: FilePath(name), repositoryID: nil)
    }
    guard HubCache.isRepositoryID(name) else {
      throw .fileSystem(.failed(operation: "open", path: FilePath(name), errno: .noSuchFileOrDirectory))
    }
    return try TransplantDonor(folder: try cache.snapshot(of: name, revision: revision), repositoryID: name)
  }

  init(folder: FilePath, repositoryID: String?) throws(SurgeryError) {
    path = folder
    self.repositoryID = repositoryID
    guard folder.isFolder else {
      throw .invalidRequest(path: folder, reason: "is not a folder: a donor is a folder with a tokenizer.json")
    }
    let tokenizer = folder.appending("tokenizer.json")
    guard tokenizer.exists else {
      throw .invalidRequest(
        path: tokenizer, reason: "does not exist: a donor is a folder with the tokenizer.json the model is given"
      )
    }
    tokenizerPath = tokenizer
    tokenizerJSON = try JSONFile.read(tokenizer).value
    do {
      vocabulary = try TokenizerVocabulary(json: tokenizerJSON, path: tokenizer)
    } catch {
      throw .tokenization(error)
    }
    bytes = VocabularyBytes(json: tokenizerJSON, vocabulary: vocabulary)
    let config = try JSONFile.readIfPresent(folder.appending("config.json"))
    configVocabularySize = config.flatMap { ModelConfig(path: "", json: $0).vocabularySize }
    roles = try SpecialRoles(folder: folder, vocabulary: vocabulary)
    let hasWeights =
      folder.appending("model.safetensors").exists || folder.appending(ShardIndex.fileName).exists
    weights = hasWeights ? try ModelCheckpoint.open(folder.string) : nil
  }

  /// The donor's tokenizer, for encoding (the number-split check).
  func makeTokenizer() throws(SurgeryError) -> Tokenizer {
    do {
      return try Tokenizer(json: tokenizerJSON, vocabulary: vocabulary, path: tokenizerPath)
    } catch {
      throw .tokenization(error)
    }
  }

  /// The rows the output has: the donor config's `vocab_size` when it covers the tokenizer (so
  /// ids line up with the donor's model), else the tokenizer's size.
  var rows: Int {
    max(vocabulary.size, configVocabularySize ?? 0)
  }
}

import SafeTensors
import StrictJSON

/// What `inspect` reports of a model: its files and tensors, its embedding and output head, and
/// how its vocabulary sizes agree.
public struct InspectReport: Sendable {
  /// One safetensors file of the checkpoint.
  public struct File: Sendable, Equatable {
    /// Its name in the folder (or the path of a bare file).
    public var name: String
    /// How many tensors it holds.
    public var tensorCount: Int
    /// Its size in bytes.
    public var bytes: Int
  }

  /// One tensor with the file that holds it.
  public struct Tensor: Sendable, Equatable {
    /// The tensor's header entry.
    public var info: TensorInfo
    /// The file holding it (as in ``File/name``).
    public var file: String
  }

  /// The path inspected.
  public let path: String
  /// The files, sorted by name bytes.
  public let files: [File]
  /// Every tensor, sorted by name bytes.
  public let tensors: [Tensor]
  /// The `__metadata__` of the first file.
  public let metadata: [String: String]?
  /// The embedding, when one is found.
  public let embedding: MatrixDescription?
  /// The untied output head, when there is one.
  public let head: MatrixDescription?
  /// Why no embedding is reported (no known name, more than one candidate, an unusable dtype...),
  /// when none is.
  public let embeddingProblem: SurgeryError?
  /// config.json's vocabulary size, when present.
  public let configVocabularySize: Int?
  /// The tokenizer's size (largest id + 1), when there is a tokenizer.json.
  public let tokenizerSize: Int?

  /// Whether the head is tied to the embedding (an embedding and no head).
  public var tied: Bool { embedding != nil && head == nil }

  /// Inspects `model`. A checkpoint whose embedding cannot be told still lists its tensors.
  ///
  /// - Throws: ``SurgeryError`` when a file of the checkpoint cannot be read.
  /// - Complexity: O(*t* log *t*) in the number of tensors; headers only.
  public init(model: ModelCheckpoint) throws(SurgeryError) {
    path = model.path.string
    let checkpoint = model.checkpoint
    let display: (String) -> String = { checkpoint.isFolder ? $0 : checkpoint.path }
    let listed: [(info: TensorInfo, fileName: String)]
    var files: [File] = []
    var metadata: [String: String]?
    do {
      listed = try checkpoint.tensors()
      for name in checkpoint.fileNames {
        let file = try checkpoint.file(named: name)
        files.append(File(name: display(name), tensorCount: file.header.tensors.count, bytes: file.size))
        if metadata == nil { metadata = file.header.metadata }
      }
    } catch {
      throw .safeTensors(error)
    }
    self.files = files
    self.metadata = metadata
    tensors = listed.map { Tensor(info: $0.info, file: display($0.fileName)) }
    // The same detection as every surgery; when it fails, the tensors are still listed.
    do {
      let roles = try TensorRoles.find(
        in: listed.map(\.info), configVocabularySize: model.configVocabularySize, path: model.path.string)
      embedding = MatrixDescription(roles.embedding)
      head = roles.head.map(MatrixDescription.init)
      embeddingProblem = nil
    } catch {
      switch error {
      case .embeddingNotFound, .ambiguousTensor, .unsupportedTensor, .invalidRequest:
        embedding = nil
        head = nil
        embeddingProblem = error
      default:
        throw error
      }
    }
    configVocabularySize = model.configVocabularySize
    tokenizerSize = model.vocabulary?.size
  }

  /// The `inspect --json` document:
  /// `{"files":[{"path","tensors","bytes"}], "tensors":[{"name","dtype","shape","file"}],
  /// "metadata":{...} or null, "embedding":``MatrixDescription/json`` or null, "head": the same or
  /// null, "tied", "vocab":{"rows","config","tokenizer"}}` (sizes null when unknown).
  public var json: JSONValue {
    func optionalNumber(_ value: Int?) -> JSONValue { value.map { .number(JSONNumber($0)) } ?? .null }
    return .object([
      JSONMember(
        "files",
        .array(
          files.map { file in
            .object([
              JSONMember("path", .string(file.name)), JSONMember("tensors", .number(JSONNumber(file.tensorCount))),
              JSONMember("bytes", .number(JSONNumber(file.bytes))),
            ])
          })),
      JSONMember(
        "tensors",
        .array(
          tensors.map { tensor in
            .object([
              JSONMember("name", .string(tensor.info.name.string)),
              JSONMember("dtype", .string(tensor.info.dtype.rawValue)),
              JSONMember("shape", .array(tensor.info.dimensions.map { .number(JSONNumber($0)) })),
              JSONMember("file", .string(tensor.file)),
            ])
          })),
      JSONMember(
        "metadata",
        metadata.map { map in
          .object(
            map.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map {
              JSONMember($0, .string(map[$0] ?? ""))
            })
        } ?? .null),
      JSONMember("embedding", embedding?.json ?? .null),
      JSONMember("head", head?.json ?? .null),
      JSONMember("tied", .bool(tied)),
      JSONMember(
        "vocab",
        .object([
          JSONMember("rows", optionalNumber(embedding?.rows)),
          JSONMember("config", optionalNumber(configVocabularySize)),
          JSONMember("tokenizer", optionalNumber(tokenizerSize)),
        ])),
    ])
  }
}

import FileSystem
import SafeTensors
import SystemPackage
import Tokenization

/// The plan of a trim: the tokens a corpus uses (and what the tokenizer needs besides, see
/// ``TokenizerTrim``), their new dense ids in the same order, and the rows the embedding, an
/// untied head and a head bias keep. Making a plan encodes the corpus (all cores, streamed) and
/// reads only headers; ``execute(into:linkingUnchanged:progress:)`` does the work.
public struct TrimPlan: RowRewritingPlan {
  public static let outputSuffix = "trimmed"
  public typealias Report = TrimReport

  /// The model being trimmed.
  public let model: ModelCheckpoint
  /// What was asked.
  public let request: TrimRequest
  /// The embedding, an untied head and a head bias: the tensors whose kept rows are gathered.
  public let roles: TensorRoles
  /// The tokenizer side: kept ids, their renumbering, the merges kept, the rewriters.
  public let tokenizerTrim: TokenizerTrim
  /// The tokenizer.json trimmed.
  let tokenizerFile: TokenizerFile
  /// The SentencePiece model beside it, when the folder has one.
  let sentencePieceModel: SentencePieceModel?
  /// What the corpus used.
  public let usage: TokenUsage
  /// Rows before and after.
  public let rowsBefore: Int
  public var rowsAfter: Int { tokenizerTrim.keptIDs.count }

  /// The renumbering: `idMap[old]` is the new id of a kept token.
  public var idMap: TokenIDMap { tokenizerTrim.idMap }

  /// Whether the trim removes anything (rows, or tokens of the tokenizer): a trim that removes
  /// nothing writes nothing.
  public var writesAnything: Bool { rowsAfter != rowsBefore || tokenizerTrim.idMap.oldCount != rowsAfter }

  /// Plans a trim: reads the tokenizer, encodes the corpus, works out what to keep.
  ///
  /// - Throws: ``SurgeryError`` when the model has no tokenizer.json, a corpus file cannot be read
  ///   or holds a line that is not a text, or the tokenizer cannot be trimmed exactly.
  /// - Parameter threads: the threads that encode the corpus (default: every core).
  /// - Complexity: the encoding of the corpus over `threads` threads, plus O(*n*) in the
  ///   vocabulary and the merges.
  public init(model: ModelCheckpoint, request: TrimRequest, threads: Int? = nil) throws(SurgeryError) {
    self.model = model
    self.request = request
    guard let tokenizerPath = model.tokenizerPath, let bytes = model.tokenizerBytes, let json = model.tokenizerJSON,
      let tokenizer = try model.makeTokenizer()
    else {
      throw .missingTokenizer(path: model.path, for: .trimming)
    }
    if model.isFolder, !model.ownsTokenizerJSON {
      for name in ["tokenizer.json", "vocab.txt", "tokenizer.model"] where model.folder.appending(name).exists {
        throw .invalidRequest(
          path: model.folder.appending(name),
          reason: "would not match the trimmed rows: trim with the folder's own tokenizer.json")
      }
    }
    roles = try LocatedRoles(model: model, embeddingName: request.embeddingName, headName: request.headName).roles
    rowsBefore = roles.embedding.shape[0]
    let file = TokenizerFile(path: tokenizerPath, bytes: bytes, json: json, tokenizer: tokenizer)
    tokenizerFile = file
    sentencePieceModel = model.ownsTokenizerJSON ? try model.sentencePieceModel() : nil
    usage = try CorpusEncoding.usage(
      of: request.corpora, standardInputFormat: request.standardInputFormat, tokenizer: tokenizer,
      extraTexts: sentencePieceModel?.selfTestSamples.map(\.input) ?? [],
      threads: threads ?? ParallelWork.defaultThreadCount)
    // What the model's files name is kept whatever the corpus says.
    let references = try TokenReferences(of: model)
    let vocabulary = tokenizer.vocabulary
    var keepIDs = references.ids.sorted()
    for text in references.texts.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
      if let id = vocabulary.id(of: String(decoding: text, as: UTF8.self)) { keepIDs.append(id) }
    }
    for token in vocabulary.modelTokens where TrimPlan.looksSpecial(token.text) && references.refers(to: token) {
      keepIDs.append(token.id)
    }
    keepIDs += sentencePieceModel?.requiredIDs ?? []
    do {
      tokenizerTrim = try TokenizerTrim(
        file: file, usage: usage, keepTokens: request.keep, keepIDs: keepIDs, minimumCount: request.minimumCount)
    } catch {
      throw .tokenization(error)
    }
    if let past = tokenizerTrim.keptIDs.last, past >= rowsBefore {
      throw .invalidRequest(
        path: tokenizerPath,
        reason:
          "token \(past) is kept but the embedding has only \(rowsBefore) rows; the tokenizer and the checkpoint disagree"
      )
    }
  }

  /// Whether a token's text looks like a marker a chat template would name (`<...>`, `[...]`).
  static func looksSpecial(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard let first = bytes.first, let last = bytes.last, bytes.count > 2 else { return false }
    return (first == UInt8(ascii: "<") && last == UInt8(ascii: ">"))
      || (first == UInt8(ascii: "[") && last == UInt8(ascii: "]"))
  }
}

import FileSystem
import SafeTensors
import Tokenization

/// The plan of an extend: the merges learned from a corpus (or made for given words), the new
/// tokens they make with ids after the largest id in use, and the rows the embedding, an untied
/// head and a head bias grow by. Making a plan reads the corpus (all cores, streamed) and learns;
/// ``execute(into:linkingUnchanged:progress:)`` writes.
public struct ExtendPlan: RowRewritingPlan {
  public static let outputSuffix = "extended"
  public typealias Report = ExtendReport

  /// The model being extended.
  public let model: ModelCheckpoint
  /// What was asked.
  public let request: ExtendRequest
  /// The tensors that change.
  public var roles: TensorRoles { tensors.roles }
  let tensors: LocatedRoles
  /// The merges and new tokens.
  public let vocabularyExtension: VocabularyExtension
  /// The corpus's words (empty without a corpus).
  let corpus: CorpusWords
  /// The corpus's tokens after the extension.
  public let tokensAfter: Int
  /// The SentencePiece model beside the tokenizer.json, when the folder has one.
  let sentencePieceModel: SentencePieceModel?
  /// `--words` strings skipped.
  public let skipped: [VocabularyExtension.SkippedWord]
  /// Why learning stopped early, if it did.
  let stoppedEarly: String?
  /// Rows before and after.
  public let rowsBefore: Int
  public let rowsAfter: Int

  /// The new tokens, in id order.
  public var newTokens: [Token] { vocabularyExtension.newTokens }

  /// Rows at or past ``rowsBefore`` that no new token takes (they get the mean row).
  public var paddingRows: [Int] {
    let firstFree = vocabularyExtension.firstNewID + newTokens.count
    return (rowsBefore..<rowsAfter).filter { $0 < vocabularyExtension.firstNewID || $0 >= firstFree }
  }

  /// Rows that exist already and are re-initialized for new tokens (a matrix padded past the
  /// vocabulary).
  public var reusedRows: [Int] { newTokens.map(\.id).filter { $0 < rowsBefore } }

  /// Whether anything is added.
  public var writesAnything: Bool { !vocabularyExtension.merges.isEmpty || rowsAfter != rowsBefore }

  /// Plans an extend: reads the tokenizer, counts the corpus's words, learns the merges (or
  /// chains them for the words).
  ///
  /// - Throws: ``SurgeryError`` when the model is not a folder with a BPE tokenizer.json, a corpus
  ///   file cannot be read or holds a line that is not a text, or the request is invalid.
  /// - Parameter threads: the threads that read the corpus (default: every core); the merges do
  ///   not depend on it.
  public init(model: ModelCheckpoint, request: ExtendRequest, threads: Int? = nil) throws(SurgeryError) {
    self.model = model
    self.request = request
    guard model.isFolder, model.ownsTokenizerJSON, let tokenizerPath = model.tokenizerPath,
      let json = model.tokenizerJSON, let tokenizer = try model.makeTokenizer()
    else {
      throw .invalidRequest(
        path: model.path,
        reason: "extend needs a model folder with its own tokenizer.json (the merges and vocabulary are written there)")
    }
    try Self.check(request, model: model)
    var learner: VocabularyExtension
    do {
      learner = try VocabularyExtension(
        tokenizer: tokenizer, mergesAsStrings: VocabularyExtension.writesMergesAsStrings(json))
    } catch {
      throw .tokenization(error)
    }
    sentencePieceModel = try model.sentencePieceModel()
    tensors = try LocatedRoles(model: model, embeddingName: request.embeddingName, headName: request.headName)
    rowsBefore = tensors.roles.embedding.shape[0]
    if tokenizer.vocabulary.size > rowsBefore {
      throw .invalidRequest(
        path: tokenizerPath,
        reason:
          "has ids up to \(tokenizer.vocabulary.size - 1) but the embedding has \(rowsBefore) rows; the tokenizer and the checkpoint disagree"
      )
    }
    corpus =
      request.corpora.isEmpty
      ? CorpusWords()
      : try CorpusWords.counting(
        request.corpora, standardInputFormat: request.standardInputFormat, tokenizer: tokenizer,
        threads: threads ?? ParallelWork.defaultThreadCount)
    if let words = request.words {
      do {
        skipped = try learner.addWords(words)
      } catch {
        throw .tokenization(error)
      }
      stoppedEarly = nil
      tokensAfter = learner.tokenCount(of: corpus)
    } else {
      let outcome = learner.learn(from: corpus, merges: request.merges, minimumCount: request.minimumCount)
      skipped = []
      stoppedEarly = outcome.stoppedEarly
      tokensAfter = outcome.tokensAfter
    }
    vocabularyExtension = learner
    try Self.check(sentencePieceModel, against: learner)
    var rows = max(rowsBefore, learner.firstNewID + learner.newTokens.count)
    if let multiple = request.padToMultipleOf, rows % multiple != 0 { rows += multiple - rows % multiple }
    rowsAfter = rows
  }

  /// The request's own rules, checked before anything is read.
  static func check(_ request: ExtendRequest, model: ModelCheckpoint) throws(SurgeryError) {
    if request.words == nil, request.merges < 1 {
      throw .invalidRequest(path: model.path, reason: "--add must be at least 1 (the number of merges to learn)")
    }
    if request.minimumCount < 1 {
      throw .invalidRequest(path: model.path, reason: "--min-count must be at least 1")
    }
    if let multiple = request.padToMultipleOf, multiple < 1 {
      throw .invalidRequest(
        path: model.path, reason: "the row count cannot be padded to a multiple of \(multiple)")
    }
  }

  /// A SentencePiece model beside the tokenizer.json must end where the new ids start, or its new
  /// pieces would not get the tokenizer.json's ids.
  static func check(
    _ sentencePieceModel: SentencePieceModel?, against learner: VocabularyExtension
  ) throws(SurgeryError) {
    guard let sentencePieceModel, !learner.newTokens.isEmpty, sentencePieceModel.pieces.count != learner.firstNewID
    else { return }
    throw .invalidRequest(
      path: sentencePieceModel.path,
      reason:
        "has \(sentencePieceModel.pieces.count) pieces but tokenizer.json's ids end at \(learner.firstNewID - 1): the new pieces would not get the same ids"
    )
  }
}

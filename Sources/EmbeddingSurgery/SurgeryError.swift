import FileSystem
import SafeTensors
import StrictJSON
import SystemPackage
import Tokenization

/// Everything that can go wrong in planning or carrying out a surgery. Each case names the file
/// (and tensor or line) it is about; ``description`` is one line, `"<file>: <what is wrong>"`, in
/// the library's terms (the command adds the flags to use where that helps).
public enum SurgeryError: Error, Sendable, CustomStringConvertible {
  /// A safetensors file or index is malformed or cannot be read or written.
  case safeTensors(SafeTensorsError)
  /// A tokenizer.json cannot be read or used.
  case tokenization(TokenizationError)
  /// A file could not be read or written.
  case fileSystem(FileSystemError)
  /// A JSON file (config.json, tokenizer_config.json, a token file) is not valid JSON.
  case invalidJSON(path: FilePath, JSONError)
  /// A JSON file is valid JSON but not of the expected shape.
  case unexpectedJSON(path: FilePath, reason: String)
  /// A token file or a corpus file is not usable; `line` is 1-based when the problem is on one line.
  case invalidTextFile(path: FilePath, line: Int?, reason: String)
  /// The token file holds no token.
  case noTokens(path: FilePath)
  /// No embedding tensor could be found (`configRows`: config.json's `vocab_size`, when the
  /// tensors were also searched by their row count).
  case embeddingNotFound(path: FilePath, configRows: Int?)
  /// More than one tensor could be the embedding (or the head).
  case ambiguousTensor(path: FilePath, role: MatrixRole, candidates: [String])
  /// A tensor named by the caller does not exist.
  case tensorNotFound(path: FilePath, name: String)
  /// A tensor has a shape or dtype the surgery cannot handle.
  case unsupportedTensor(path: FilePath, name: String, reason: String)
  /// Something needs the model's tokenizer.json and there is none.
  case missingTokenizer(path: FilePath, for: TokenizerUse)
  /// A Hugging Face repository id names no snapshot in the local cache (nothing is downloaded).
  case notInCache(id: String, revision: String, lookedIn: [FilePath])
  /// The request contradicts itself or the model.
  case invalidRequest(path: FilePath, reason: String)
  /// The output path is not acceptable.
  case invalidOutput(path: FilePath, OutputProblem)

  /// What needs a tokenizer.
  public enum TokenizerUse: Sendable, Equatable {
    /// The `nearest` initialization rule (it splits new tokens into pieces).
    case nearestRule
    /// Trimming the vocabulary (the corpus is encoded, the tokenizer rewritten).
    case trimming
    /// A transplant (the donor's tokens are matched to the model's).
    case transplant

    var words: String {
      switch self {
      case .nearestRule: "the nearest-token rule"
      case .trimming: "trimming the vocabulary"
      case .transplant: "a transplant"
      }
    }
  }

  /// Why an output path is not acceptable.
  public enum OutputProblem: Sendable, Equatable {
    /// It is the input itself (a surgery in place is asked for differently).
    case isTheInput
    /// Something is there and replacing it was not allowed.
    case exists
    /// It lies inside the input folder.
    case insideInput(folder: FilePath)
    /// A folder would replace a file there, or a file a folder.
    case kindMismatch(outputIsFolder: Bool)
    /// Its folder does not exist.
    case missingFolder(FilePath)
    /// It is on another file system than the input, and hard links to the input's files were asked for.
    case notOnInputFileSystem(input: FilePath)
  }

  public var description: String {
    switch self {
    case .safeTensors(let error): return error.description
    case .tokenization(let error): return error.description
    case .fileSystem(let error): return error.description
    case .invalidJSON(let path, let error): return "\(path): invalid JSON: \(error)"
    case .unexpectedJSON(let path, let reason): return "\(path): \(reason)"
    case .invalidTextFile(let path, let line, let reason):
      if let line { return "\(path): line \(line) \(reason)" }
      return "\(path): \(reason)"
    case .noTokens(let path): return "\(path): no tokens to add (the file has no non-empty line)"
    case .embeddingNotFound(let path, let configRows):
      let reason =
        configRows.map { "no tensor has a known embedding name or \($0) rows" }
        ?? "no tensor has a known embedding name"
      return "\(path): no embedding tensor found: \(reason)"
    case .ambiguousTensor(let path, let role, let candidates):
      let name = role == .head ? "output head" : "embedding"
      return "\(path): more than one tensor could be the \(name): \(candidates.joined(separator: ", "))"
    case .tensorNotFound(let path, let name): return "\(path): no tensor named '\(name)'"
    case .unsupportedTensor(let path, let name, let reason): return "\(path): tensor '\(name)' \(reason)"
    case .missingTokenizer(let path, let use):
      return "\(path): \(use.words) needs a tokenizer.json (beside the model or given explicitly)"
    case .notInCache(let id, let revision, let looked):
      return
        "\(id): no such file or folder, and no snapshot of the Hugging Face repository \(id) at revision \(revision) in the local cache (looked in \(looked.map(\.string).joined(separator: ", ")); nothing is downloaded)"
    case .invalidRequest(let path, let reason): return "\(path): \(reason)"
    case .invalidOutput(let path, let problem):
      let reason: String
      switch problem {
      case .isTheInput: reason = "is the input itself; write in place to replace the input"
      case .exists: reason = "already exists"
      case .insideInput(let folder): reason = "is inside the input folder \(folder)"
      case .kindMismatch(let outputIsFolder):
        reason =
          outputIsFolder ? "is a file; a model folder cannot replace it" : "is a folder; a file cannot replace it"
      case .missingFolder(let folder): reason = "its folder \(folder) does not exist"
      case .notOnInputFileSystem(let input):
        reason = "is not on the file system of \(input), so its unchanged files cannot be hard links to the input's"
      }
      return "\(path): \(reason)"
    }
  }
}

/// Runs a file-system operation, turning its error into a ``SurgeryError``.
@inline(__always)
func fileSystem<Result: ~Copyable>(_ body: () throws(FileSystemError) -> Result) throws(SurgeryError) -> Result {
  do {
    return try body()
  } catch {
    throw .fileSystem(error)
  }
}

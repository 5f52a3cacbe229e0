import FileSystem
import SafeTensors
import StrictJSON
import Tokenization

/// Everything that can go wrong in planning or carrying out a surgery. Each case names the file
/// (and tensor or line) it is about; ``description`` is one line, `"<file>: <what is wrong>"`.
public enum SurgeryError: Error, Sendable, CustomStringConvertible {
  /// A safetensors file or index is malformed or cannot be read or written.
  case safeTensors(SafeTensorsError)
  /// A tokenizer.json cannot be read or used.
  case tokenization(TokenizationError)
  /// A JSON file (config.json, tokenizer_config.json, a token file) is not valid JSON.
  case invalidJSON(path: String, JSONError)
  /// A JSON file is valid JSON but not of the expected shape.
  case unexpectedJSON(path: String, reason: String)
  /// A token file is not usable; `line` is 1-based when the problem is on one line.
  case invalidTokenFile(path: String, line: Int?, reason: String)
  /// The token file holds no token.
  case noTokens(path: String)
  /// No embedding tensor could be found.
  case embeddingNotFound(path: String, reason: String)
  /// More than one tensor could be the embedding (or head).
  case ambiguousTensor(path: String, role: String, candidates: [String])
  /// A tensor named on the command line does not exist.
  case tensorNotFound(path: String, name: String)
  /// A tensor has a shape or dtype the surgery cannot handle.
  case unsupportedTensor(path: String, name: String, reason: String)
  /// An initialization rule cannot be applied.
  case initialization(path: String, reason: String)
  /// The options contradict each other or the input.
  case invalidRequest(path: String, reason: String)
  /// The output path is not acceptable (exists, is inside the input, ...).
  case invalidOutput(path: String, reason: String)
  /// A file could not be read or written.
  case fileSystem(FileSystemError)

  public var description: String {
    switch self {
    case .safeTensors(let error): return error.description
    case .tokenization(let error): return error.description
    case .invalidJSON(let path, let error): return "\(path): invalid JSON: \(error)"
    case .unexpectedJSON(let path, let reason): return "\(path): \(reason)"
    case .invalidTokenFile(let path, let line, let reason):
      if let line { return "\(path): line \(line) \(reason)" }
      return "\(path): \(reason)"
    case .noTokens(let path): return "\(path): no tokens to add (the file has no non-empty line)"
    case .embeddingNotFound(let path, let reason): return "\(path): no embedding tensor found: \(reason)"
    case .ambiguousTensor(let path, let role, let candidates):
      return
        "\(path): more than one tensor could be the \(role): \(candidates.joined(separator: ", ")); choose one with --\(role == "output head" ? "head" : "embedding")"
    case .tensorNotFound(let path, let name): return "\(path): no tensor named '\(name)'"
    case .unsupportedTensor(let path, let name, let reason): return "\(path): tensor '\(name)' \(reason)"
    case .initialization(let path, let reason): return "\(path): \(reason)"
    case .invalidRequest(let path, let reason): return "\(path): \(reason)"
    case .invalidOutput(let path, let reason): return "\(path): \(reason)"
    case .fileSystem(let error): return error.description
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

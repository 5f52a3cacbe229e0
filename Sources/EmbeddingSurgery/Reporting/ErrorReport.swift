import SystemPackage

/// The document `--json` prints on standard output when a command fails:
/// `{"schema_version", "error": {"kind", "path", "message"}}` (the one `error:` line still goes
/// to standard error, and the exit status is unchanged).
public struct ErrorReport: SurgeryReport, Equatable {
  /// What failed.
  public struct Failure: Encodable, Sendable, Equatable {
    /// A stable name of the kind of failure, in snake_case (``SurgeryError/kind``, or `usage` for
    /// a command line the argument parser refused).
    public var kind: String
    /// The file the failure is about, when there is one.
    public var path: String?
    /// The one-line message, as `error:` prints it.
    public var message: String

    /// A failure of `kind` about `path`.
    public init(kind: String, path: String?, message: String) {
      self.kind = kind
      self.path = path
      self.message = message
    }
  }

  /// The failure.
  public var error: Failure

  /// The report of `error`.
  public init(_ error: Failure) {
    self.error = error
  }
}

extension SurgeryError {
  /// The error's kind as ``ErrorReport`` names it: the case, in snake_case (`invalid_output`,
  /// `embedding_not_found`, ...; `safetensors`, `tokenization` and `file_system` for the lower
  /// layers' errors).
  public var kind: String {
    switch self {
    case .safeTensors: "safetensors"
    case .tokenization: "tokenization"
    case .fileSystem: "file_system"
    case .invalidJSON: "invalid_json"
    case .unexpectedJSON: "unexpected_json"
    case .invalidTextFile: "invalid_text_file"
    case .noTokens: "no_tokens"
    case .embeddingNotFound: "embedding_not_found"
    case .ambiguousTensor: "ambiguous_tensor"
    case .tensorNotFound: "tensor_not_found"
    case .unsupportedTensor: "unsupported_tensor"
    case .missingTokenizer: "missing_tokenizer"
    case .notInCache: "not_in_cache"
    case .invalidRequest: "invalid_request"
    case .invalidOutput: "invalid_output"
    }
  }

  /// The file (or repository id) the error is about.
  public var path: FilePath {
    switch self {
    case .safeTensors(let error): error.path
    case .tokenization(let error): error.path
    case .fileSystem(let error): error.path
    case .invalidJSON(let path, _), .unexpectedJSON(let path, _), .invalidTextFile(let path, _, _),
      .noTokens(let path), .embeddingNotFound(let path, _), .ambiguousTensor(let path, _, _),
      .tensorNotFound(let path, _), .unsupportedTensor(let path, _, _), .missingTokenizer(let path, _),
      .invalidRequest(let path, _), .invalidOutput(let path, _):
      path
    case .notInCache(let id, _, _): FilePath(id)
    }
  }
}

import StrictJSON
import SystemPackage

/// Why a tokenizer.json file cannot be read or used, with the file it concerns.
///
/// Every case's ``description`` is one line of the form `"<path>: <what is wrong>"`.
public enum TokenizationError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file could not be read (missing, unreadable).
  case unreadable(path: FilePath, reason: String)
  /// The file is not valid JSON.
  case invalidJSON(path: FilePath, JSONError)
  /// The JSON is valid but does not have the shape of a tokenizer.json file
  /// (`what` names the member and the problem, e.g. "model.vocab is missing").
  case malformed(path: FilePath, what: String)
  /// The file uses a component or an option this engine does not implement
  /// (`what` names it, e.g. "unsupported normalizer 'Precompiled'").
  case unsupported(path: FilePath, what: String)
  /// Encoding a text failed (for instance an `unk_token` that is not in the vocabulary).
  case encodingFailed(path: FilePath, what: String)

  /// The file the error is about.
  public var path: FilePath {
    switch self {
    case .unreadable(let path, _), .invalidJSON(let path, _), .malformed(let path, _),
      .unsupported(let path, _), .encodingFailed(let path, _):
      path
    }
  }

  /// `"<path>: <what is wrong>"`.
  public var description: String {
    switch self {
    case .unreadable(let path, let reason): "\(path): cannot read the file: \(reason)"
    case .invalidJSON(let path, let error): "\(path): invalid JSON: \(error)"
    case .malformed(let path, let what): "\(path): \(what)"
    case .unsupported(let path, let what): "\(path): \(what)"
    case .encodingFailed(let path, let what): "\(path): \(what)"
    }
  }
}

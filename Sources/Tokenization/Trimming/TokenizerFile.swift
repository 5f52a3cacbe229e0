import FileSystem
import StrictJSON
import SystemPackage

/// A tokenizer.json file read once for trimming: its bytes (rewritten in place), its parsed value
/// and the tokenizer built from it.
public struct TokenizerFile: Sendable {
  /// The file's path, for error messages.
  public let path: FilePath
  /// The file's text.
  public let bytes: [UInt8]
  /// The parsed text.
  public let json: JSONValue
  /// The tokenizer the file describes.
  public let tokenizer: Tokenizer

  /// Wraps a file the caller has already read, parsed and loaded (`json` must be the parse of
  /// `bytes`, and `tokenizer` built from `json`).
  public init(path: FilePath, bytes: [UInt8], json: JSONValue, tokenizer: Tokenizer) {
    self.path = path
    self.bytes = bytes
    self.json = json
    self.tokenizer = tokenizer
  }

  /// Parses `bytes` and builds the tokenizer.
  ///
  /// - Throws: ``TokenizationError`` when the text is not JSON or not a tokenizer the engine
  ///   can load.
  /// - Complexity: O(*n*) in the size of the text.
  public init(bytes: [UInt8], path: FilePath) throws(TokenizationError) {
    let json: JSONValue
    do throws(JSONError) {
      json = try JSONParser.parse(bytes)
    } catch {
      throw .invalidJSON(path: path, error)
    }
    self.init(
      path: path, bytes: bytes, json: json, tokenizer: try Tokenizer(json: json, path: path))
  }

  /// Reads, parses and loads a tokenizer.json file.
  ///
  /// - Throws: ``TokenizationError`` when the file cannot be read, is not JSON, or is not a
  ///   tokenizer the engine can load.
  public init(contentsOf path: FilePath) throws(TokenizationError) {
    try self.init(bytes: try readFile(path), path: path)
  }
}

/// The bytes of a file; a folder or an unreadable file is an error naming it.
func readFile(_ path: FilePath) throws(TokenizationError) -> [UInt8] {
  do {
    return try path.readAll()
  } catch {
    throw .unreadable(path: path, reason: error.problem)
  }
}

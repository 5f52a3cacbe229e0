import FileSystem
import StrictJSON
import SystemPackage

/// The new tokens a user asks for, read from a token file.
///
/// A text file holds one token per line (UTF-8; `\n` or `\r\n` removed; empty lines skipped;
/// everything else, leading and trailing spaces included, is part of the token). A file whose
/// name ends in `.json` holds an array of strings instead (for tokens that contain newlines).
/// The path `-` is standard input.
public struct TokenList: Sendable, Equatable {
  /// How a token file holds its tokens.
  public enum Format: String, Sendable, CaseIterable {
    /// One token per line.
    case lines
    /// A JSON array of strings.
    case json
  }

  /// The tokens in file order, duplicates included.
  public var tokens: [String]

  /// A list of tokens given directly.
  public init(_ tokens: [String]) {
    self.tokens = tokens
  }

  /// Reads a token file.
  ///
  /// - Throws: ``SurgeryError/invalidTextFile(path:line:reason:)`` for invalid UTF-8, a NUL byte
  ///   or (for `.json`) anything but an array of strings; ``SurgeryError/io(path:operation:code:)``
  ///   when the file cannot be read.
  /// - Complexity: O(*n*) in the size of the file.
  /// - Parameter format: how the file holds its tokens (default: `json` for a `.json` file, else
  ///   lines; standard input as lines).
  public init(contentsOf path: FilePath, format: Format? = nil) throws(SurgeryError) {
    let isStandardInput = path == "-"
    let opened: FilePath = isStandardInput ? "/dev/stdin" : path
    let bytes = try fileSystem { () throws(FileSystemError) in try opened.readAll() }
    let isJSON = !isStandardInput && path.extension?.lowercased() == "json"
    if format ?? (isJSON ? .json : .lines) == .json {
      tokens = try TokenList.parseJSON(bytes, path: path)
    } else {
      tokens = try TokenList.parseLines(bytes, path: path)
    }
  }

  static func parseLines(_ bytes: [UInt8], path: FilePath) throws(SurgeryError) -> [String] {
    var tokens: [String] = []
    var lineNumber = 0
    var start = 0
    while start < bytes.count {
      lineNumber += 1
      var end = start
      while end < bytes.count, bytes[end] != 0x0A { end += 1 }
      var contentEnd = end
      if contentEnd > start, bytes[contentEnd - 1] == 0x0D, end < bytes.count { contentEnd -= 1 }
      let line = bytes[start..<contentEnd]
      if line.contains(0) {
        throw .invalidTextFile(path: path, line: lineNumber, reason: "contains a NUL byte")
      }
      guard let token = String(validating: line, as: UTF8.self) else {
        throw .invalidTextFile(path: path, line: lineNumber, reason: "is not valid UTF-8")
      }
      if !token.isEmpty { tokens.append(token) }
      start = end + 1
    }
    return tokens
  }

  static func parseJSON(_ bytes: [UInt8], path: FilePath) throws(SurgeryError) -> [String] {
    let value = try JSONFile.parse(bytes, path: path)
    guard let elements = value.elements else {
      throw .invalidTextFile(path: path, line: nil, reason: "is not a JSON array of strings")
    }
    var tokens: [String] = []
    for (index, element) in elements.enumerated() {
      guard let token = element.string else {
        throw .invalidTextFile(
          path: path, line: nil, reason: "element \(index) is \(element.kindDescription), not a string")
      }
      if token.utf8.contains(0) {
        throw .invalidTextFile(path: path, line: nil, reason: "element \(index) contains a NUL character")
      }
      if !token.isEmpty { tokens.append(token) }
    }
    return tokens
  }
}

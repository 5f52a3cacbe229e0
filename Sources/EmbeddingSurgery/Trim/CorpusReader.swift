import FileSystem
import StrictJSON
import SystemPackage

/// Reads the texts of a corpus file a batch at a time, so that a corpus of gigabytes is never
/// held in memory: each non-empty line is a text (`\n` or `\r\n` ends it), or, in a `.jsonl` file,
/// a JSON object whose `"text"` member is the text. A line that is not UTF-8, holds a NUL, or (in
/// `.jsonl`) is not such an object is an error naming the file and the line (standard input is
/// named `-`).
struct CorpusReader: ~Copyable {
  /// A batch of texts.
  struct Batch: Sendable {
    var texts: [String]
  }

  /// The file's path, for messages (`-` for standard input).
  let path: FilePath
  private let file: InputFile
  private let isJSONLines: Bool
  private let isStandardInput: Bool
  private var offset: Int64 = 0
  private var lineNumber = 0
  /// Bytes read and not yet returned as lines: `pending[start...]`.
  private var pending: [UInt8] = []
  private var start = 0
  private var atEnd = false

  /// Bytes read at a time.
  static let readBytes = 1 << 20

  /// Opens the corpus `source`, whose texts are in `format`.
  init(_ source: CorpusSource, format: CorpusFormat) throws(SurgeryError) {
    path = source.path
    isJSONLines = format == .jsonl
    isStandardInput = source == .standardInput
    let opened: FilePath = isStandardInput ? "/dev/stdin" : path
    let file = try fileSystem { () throws(FileSystemError) in try InputFile(path: opened) }
    if try fileSystem({ () throws(FileSystemError) in try file.status() }).kind == .directory {
      throw .fileSystem(.failed(operation: "read", path: path, errno: .isDirectory))
    }
    self.file = file
  }

  /// The next batch of texts (about ``readBytes`` of them), or `nil` at the end of the file.
  mutating func next() throws(SurgeryError) -> Batch? {
    var texts: [String] = []
    var size = 0
    while size < Self.readBytes {
      guard let line = try nextLine() else { break }
      if let text = try text(of: line) {
        size += line.count
        texts.append(text)
      }
    }
    return texts.isEmpty && atEnd && start >= pending.count ? nil : Batch(texts: texts)
  }

  /// The next line's bytes without its end, or `nil` at the end of the file.
  private mutating func nextLine() throws(SurgeryError) -> ArraySlice<UInt8>? {
    while true {
      if let newline = pending[start...].firstIndex(of: 0x0A) {
        var line = pending[start..<newline]
        if line.last == 0x0D { line = line.dropLast() }
        start = newline + 1
        lineNumber += 1
        return line
      }
      if atEnd {
        guard start < pending.count else { return nil }
        let line = pending[start...]
        start = pending.count
        lineNumber += 1
        return line
      }
      // Keep the unfinished line, read the next chunk after it.
      pending.removeSubrange(..<start)
      start = 0
      let kept = pending.count
      pending.append(contentsOf: repeatElement(0, count: Self.readBytes))
      let read = pending.withUnsafeMutableBytes { buffer in
        let free = UnsafeMutableRawBufferPointer(rebasing: buffer[kept...])
        return Result { () throws(FileSystemError) in
          isStandardInput ? try file.read(into: free) : try file.read(at: offset, into: free)
        }
      }
      let count = try fileSystem { () throws(FileSystemError) in try read.get() }
      pending.removeSubrange((kept + count)...)
      if count == 0 { atEnd = true }
      offset += Int64(count)
    }
  }

  /// The text of a line, or `nil` for an empty one.
  private func text(of line: ArraySlice<UInt8>) throws(SurgeryError) -> String? {
    if line.isEmpty { return nil }
    if line.contains(0) { throw .invalidTextFile(path: path, line: lineNumber, reason: "contains a NUL byte") }
    guard let text = String(validating: line, as: UTF8.self) else {
      throw .invalidTextFile(path: path, line: lineNumber, reason: "is not valid UTF-8")
    }
    guard isJSONLines else { return text }
    let value: JSONValue
    do {
      value = try JSONParser.parse(Array(line))
    } catch {
      throw .invalidTextFile(path: path, line: lineNumber, reason: "is not valid JSON: \(error)")
    }
    guard let member = value["text"]?.string else {
      throw .invalidTextFile(path: path, line: lineNumber, reason: "is not an object with a \"text\" string")
    }
    return member
  }
}

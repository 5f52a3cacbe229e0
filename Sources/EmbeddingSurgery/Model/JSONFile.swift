import FileSystem
import StrictJSON
import SystemPackage

/// Reading the JSON files of a model folder (config.json, tokenizer_config.json, ...), with
/// errors that name the file.
enum JSONFile {
  /// The bytes of a JSON file and their parsed value.
  static func read(_ path: FilePath) throws(SurgeryError) -> (bytes: [UInt8], value: JSONValue) {
    let bytes = try fileSystem { () throws(FileSystemError) in try path.readAll() }
    return (bytes, try parse(bytes, path: path))
  }

  /// The parsed value of the JSON file at `path`, or `nil` when nothing is there.
  static func readIfPresent(_ path: FilePath) throws(SurgeryError) -> JSONValue? {
    guard path.exists else { return nil }
    return try read(path).value
  }

  /// Parses `bytes` read from `path`; invalid JSON is an error naming the file.
  static func parse(_ bytes: [UInt8], path: FilePath) throws(SurgeryError) -> JSONValue {
    do {
      return try JSONParser.parse(bytes)
    } catch {
      throw .invalidJSON(path: path, error)
    }
  }
}

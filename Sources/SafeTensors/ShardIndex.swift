import FileSystem
import StrictJSON
import SystemPackage

/// `model.safetensors.index.json`: which shard file holds each tensor of a sharded checkpoint.
public struct ShardIndex: Sendable {
  /// `metadata.total_size`: the sum of the tensors' data bytes (0 when the index has none).
  public var totalSize: UInt64
  /// `weight_map`: tensor name to shard file name (relative to the index's folder).
  public var weightMap: [TensorName: String]

  /// Creates an index.
  public init(totalSize: UInt64, weightMap: [TensorName: String]) {
    self.totalSize = totalSize
    self.weightMap = weightMap
  }

  /// The name of the index file in a model folder.
  public static let fileName = "model.safetensors.index.json"

  /// Reads and validates an index: strict JSON without repeated keys, a `weight_map` object of
  /// strings, an optional `metadata.total_size` integer, and shard names that are plain file
  /// names (not empty, no `/` or `\`, no `..`, no NUL).
  ///
  /// - Complexity: O(*n*) in the size of the file.
  public static func read(path: FilePath) throws(SafeTensorsError) -> ShardIndex {
    let bytes = try fileSystem { () throws(FileSystemError) in try path.readAll() }
    let result = bytes.withUnsafeBytes { buffer in
      Result { () throws(SafeTensorsError) in try parse(buffer, path: path) }
    }
    return try result.get()
  }

  /// Parses the text of an index (see ``read(path:)``); `path` is for error messages.
  public static func parse(_ bytes: UnsafeRawBufferPointer, path: FilePath) throws(SafeTensorsError) -> ShardIndex {
    let json: JSONValue
    do {
      json = try JSONParser.parse(bytes, options: JSONParser.Options(maximumDepth: 128, allowsDuplicateKeys: false))
    } catch {
      throw .invalidIndex(path: path, reason: "\(error)")
    }
    guard case .object = json else {
      throw .invalidIndex(path: path, reason: "the index is \(json.kindDescription), not an object")
    }
    var totalSize: UInt64 = 0
    if let metadata = json["metadata"], !metadata.isNull {
      guard case .object = metadata else {
        throw .invalidIndex(path: path, reason: "metadata is \(metadata.kindDescription), not an object")
      }
      if let size = metadata["total_size"] {
        if let value = size.number?.uint64 {
          totalSize = value
        } else if let value = size.number?.double, value >= 0, value < 0x1p64, value.rounded() == value {
          totalSize = UInt64(value)
        } else {
          throw .invalidIndex(path: path, reason: "metadata.total_size is not a non-negative integer")
        }
      }
    }
    guard let map = json["weight_map"] else {
      throw .invalidIndex(path: path, reason: "missing weight_map")
    }
    guard case .object(let members) = map else {
      throw .invalidIndex(path: path, reason: "weight_map is \(map.kindDescription), not an object")
    }
    var weightMap: [TensorName: String] = [:]
    for member in members {
      guard case .string(let shard) = member.value else {
        throw .invalidIndex(
          path: path,
          reason: "weight_map[\(JSONWriter.quoted(member.key))] is \(member.value.kindDescription), not a file name")
      }
      guard isPlainFileName(shard) else { throw .invalidShardName(path: path, name: shard) }
      weightMap[TensorName(member.key)] = shard
    }
    return ShardIndex(totalSize: totalSize, weightMap: weightMap)
  }

  /// Whether `name` names a file inside the folder itself.
  package static func isPlainFileName(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    guard !bytes.isEmpty, name != ".", !name.contains("..") else { return false }
    return !bytes.contains(UInt8(ascii: "/")) && !bytes.contains(UInt8(ascii: "\\")) && !bytes.contains(0)
  }

  /// The index as transformers writes it (`json.dumps(index, indent=2, sort_keys=True) + "\n"`):
  /// `{"metadata": {"total_size": N}, "weight_map": {...}}` with the names sorted, 2-space
  /// indentation, non-ASCII characters escaped as `\uXXXX`, and a final newline.
  public func serialized() -> [UInt8] {
    var output: [UInt8] = []
    output.append(contentsOf: "{\n  \"metadata\": {\n    \"total_size\": \(totalSize)\n  },\n  \"weight_map\": ".utf8)
    let names = weightMap.keys.sorted()
    if names.isEmpty {
      output.append(contentsOf: "{}".utf8)
    } else {
      output.append(contentsOf: "{\n".utf8)
      for (position, name) in names.enumerated() {
        output.append(contentsOf: "    ".utf8)
        JSONWriter.writeString(name.string, asciiOnly: true, into: &output)
        output.append(contentsOf: ": ".utf8)
        JSONWriter.writeString(weightMap[name] ?? "", asciiOnly: true, into: &output)
        output.append(contentsOf: (position + 1 < names.count ? ",\n" : "\n").utf8)
      }
      output.append(contentsOf: "  }".utf8)
    }
    output.append(contentsOf: "\n}\n".utf8)
    return output
  }
}

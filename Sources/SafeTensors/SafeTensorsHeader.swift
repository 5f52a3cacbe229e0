import StrictJSON
import SystemPackage

/// The parsed and validated header of a safetensors file.
public struct SafeTensorsHeader: Sendable {
  /// The tensors, in the order they appear in the header JSON.
  public var tensors: [TensorInfo]
  /// The `__metadata__` map, or `nil` when absent or null.
  public var metadata: [String: String]?
  /// The absolute offset of the data section: 8 + the header length.
  public var dataStart: Int

  /// Creates a header from its parts.
  public init(tensors: [TensorInfo], metadata: [String: String]?, dataStart: Int) {
    self.tensors = tensors
    self.metadata = metadata
    self.dataStart = dataStart
  }

  /// The tensor named `name` (compared as UTF-8 bytes), or `nil`.
  ///
  /// - Complexity: O(*n*) in the number of tensors.
  public func tensor(named name: TensorName) -> TensorInfo? {
    tensors.first { $0.name == name }
  }

  /// The largest header length the reference accepts.
  public static let maximumHeaderLength: UInt64 = 100_000_000

  /// Parses and validates the header of a whole safetensors file held in `file`, following the
  /// reference implementation (safetensors 0.8.0) check by check, in its order:
  /// file shorter than 8 bytes; header length over 100,000,000; header past the end of the file;
  /// header not UTF-8; header not a JSON object of the right shape (strict JSON, nesting up to
  /// 128, integers in `u64` range only, unknown fields of a tensor entry ignored, a field repeated
  /// inside an entry rejected); then per tensor, in offset order: begin equal to the previous end,
  /// end not before begin, element and bit counts without overflow, a whole number of bytes, byte
  /// size equal to end - begin; finally the data must end exactly at the end of the file.
  ///
  /// As in the reference, a key that appears twice in `__metadata__` keeps its last value, and a
  /// tensor of no elements may have a dimension above `Int.max` (see ``TensorInfo/dimensions``).
  /// Stricter than the reference, on purpose: a tensor name that appears twice is rejected (the
  /// reference keeps the last one).
  ///
  /// - Parameter path: the file's path, for error messages.
  /// - Complexity: O(*h* + *t* log *t*) for a header of *h* bytes and *t* tensors.
  public init(parsing file: UnsafeRawBufferPointer, path: FilePath) throws(SafeTensorsError) {
    guard file.count >= 8 else { throw .fileTooSmall(path: path, size: file.count) }
    let length = UInt64(littleEndian: file.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
    guard length <= Self.maximumHeaderLength else {
      throw .headerTooLarge(path: path, length: length)
    }
    guard length <= UInt64(file.count - 8) else {
      throw .headerPastEnd(path: path, length: length, fileSize: file.count)
    }
    let headerBytes = UnsafeRawBufferPointer(rebasing: file[8..<(8 + Int(length))])
    if let offset = Self.firstInvalidUTF8(headerBytes) {
      throw .invalidHeaderUTF8(path: path, offset: offset)
    }
    let json: JSONValue
    do {
      json = try JSONParser.parse(
        headerBytes, options: JSONParser.Options(maximumDepth: 128, allowsDuplicateKeys: true))
    } catch {
      throw .invalidHeaderJSON(path: path, reason: "\(error) of the header")
    }
    let (entries, metadata) = try Self.decode(json, path: path)
    let dataEnd = try Self.validateOffsets(entries, path: path)
    let available = UInt64(file.count) - 8 - length
    if dataEnd < available {
      throw .trailingBytes(path: path, dataEnd: dataEnd + 8 + length, fileSize: file.count)
    }
    if dataEnd > available {
      let (end, overflow) = dataEnd.addingReportingOverflow(8 + length)
      throw .truncated(path: path, dataEnd: overflow ? UInt64.max : end, fileSize: file.count)
    }
    let tensors = entries.map { entry in
      TensorInfo(
        name: entry.name, dtype: entry.dtype, dimensions: entry.shape,
        dataOffsets: Int(entry.begin)..<Int(entry.end))
    }
    self.init(tensors: tensors, metadata: metadata, dataStart: 8 + Int(length))
  }

  /// A tensor entry as written in the header, before validation.
  private struct Entry {
    var name: TensorName
    var dtype: DType
    var shape: [UInt64]
    var begin: UInt64
    var end: UInt64
  }

  /// The offset of the first byte that is not part of valid UTF-8, or `nil`.
  private static func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
    // Fast path: ASCII.
    if bytes.allSatisfy({ $0 < 0x80 }) { return nil }
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var offset = 0
    while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid(let encoded): offset += encoded.count
      case .emptyInput: return nil
      case .error: return offset
      }
    }
  }

  /// Checks the JSON's shape and extracts the entries and the metadata, in document order.
  private static func decode(
    _ json: JSONValue, path: FilePath
  ) throws(SafeTensorsError) -> ([Entry], [String: String]?) {
    guard case .object(let members) = json else {
      throw .invalidHeaderJSON(path: path, reason: "the header is \(json.kindDescription), not an object")
    }
    var entries: [Entry] = []
    var metadata: [String: String]?
    var sawMetadata = false
    var names: Set<[UInt8]> = []
    for member in members {
      if member.key.utf8.elementsEqual("__metadata__".utf8) {
        guard !sawMetadata else {
          throw .invalidHeaderJSON(path: path, reason: "duplicate field `__metadata__`")
        }
        sawMetadata = true
        metadata = try decodeMetadata(member.value, path: path)
        continue
      }
      let name = TensorName(member.key)
      guard names.insert(name.utf8).inserted else {
        throw .duplicateTensor(path: path, tensor: name)
      }
      entries.append(try decodeEntry(member.value, name: name, path: path))
    }
    return (entries, metadata)
  }

  private static func decodeMetadata(
    _ value: JSONValue, path: FilePath
  ) throws(SafeTensorsError) -> [String: String]? {
    switch value {
    case .null: return nil
    case .object(let members):
      var result: [String: String] = [:]
      for member in members {
        guard case .string(let text) = member.value else {
          throw .invalidMetadata(
            path: path,
            reason: "the value of \(JSONWriter.quoted(member.key)) is \(member.value.kindDescription), not a string")
        }
        // A key may appear twice: the last value wins, as in the reference.
        result[member.key] = text
      }
      return result
    default:
      throw .invalidMetadata(
        path: path, reason: "it is \(value.kindDescription), not an object of strings or null")
    }
  }

  private static func decodeEntry(
    _ value: JSONValue, name: TensorName, path: FilePath
  ) throws(SafeTensorsError) -> Entry {
    let quotedName = JSONWriter.quoted(name.string)
    guard case .object(let fields) = value else {
      throw .invalidHeaderJSON(
        path: path, reason: "tensor \(quotedName) is \(value.kindDescription), not an object")
    }
    var dtype: DType?
    var shape: [UInt64]?
    var offsets: (UInt64, UInt64)?
    func invalid(_ reason: String) -> SafeTensorsError {
      .invalidHeaderJSON(path: path, reason: "tensor \(quotedName): \(reason)")
    }
    for field in fields {
      switch Array(field.key.utf8) {
      case Array("dtype".utf8):
        guard dtype == nil else { throw invalid("duplicate field `dtype`") }
        guard case .string(let text) = field.value else {
          throw invalid("dtype is \(field.value.kindDescription), not a string")
        }
        guard let known = DType(utf8: text.utf8) else {
          throw .unknownDType(path: path, tensor: name, dtype: text)
        }
        dtype = known
      case Array("shape".utf8):
        guard shape == nil else { throw invalid("duplicate field `shape`") }
        shape = try unsignedIntegers(field.value, field: "shape", invalid: invalid)
      case Array("data_offsets".utf8):
        guard offsets == nil else { throw invalid("duplicate field `data_offsets`") }
        let values = try unsignedIntegers(field.value, field: "data_offsets", invalid: invalid)
        guard values.count == 2 else {
          throw invalid("data_offsets has \(values.count) elements, not 2")
        }
        offsets = (values[0], values[1])
      default:
        continue  // Unknown fields are ignored, as by the reference.
      }
    }
    guard let dtype else { throw invalid("missing field `dtype`") }
    guard let shape else { throw invalid("missing field `shape`") }
    guard let offsets else { throw invalid("missing field `data_offsets`") }
    return Entry(name: name, dtype: dtype, shape: shape, begin: offsets.0, end: offsets.1)
  }

  /// The integers of the array field `field` of a tensor entry (`shape`, `data_offsets`), each
  /// from 0 to 2^64-1.
  private static func unsignedIntegers(
    _ value: JSONValue, field: String, invalid: (String) -> SafeTensorsError
  ) throws(SafeTensorsError) -> [UInt64] {
    guard case .array(let elements) = value else {
      throw invalid("\(field) is \(value.kindDescription), not an array")
    }
    var integers: [UInt64] = []
    integers.reserveCapacity(elements.count)
    for element in elements {
      guard case .number(let number) = element, let integer = number.uint64 else {
        throw invalid("\(field) must hold integers from 0 to 2^64-1, not \(JSONWriter.string(element))")
      }
      integers.append(integer)
    }
    return integers
  }

  /// Checks the entries in offset order and returns where the data ends (relative to the data section).
  private static func validateOffsets(_ entries: [Entry], path: FilePath) throws(SafeTensorsError) -> UInt64 {
    let order = entries.indices.sorted {
      (entries[$0].begin, entries[$0].end) < (entries[$1].begin, entries[$1].end)
    }
    var start: UInt64 = 0
    for index in order {
      let entry = entries[index]
      guard entry.begin == start, entry.end >= entry.begin else {
        throw .invalidOffsets(
          path: path, tensor: entry.name, begin: entry.begin, end: entry.end, expectedBegin: start)
      }
      start = entry.end
      switch TensorSize.byteCount(dtype: entry.dtype, shape: entry.shape) {
      case .failure(.overflow): throw .overflow(path: path, tensor: entry.name)
      case .failure(.notWholeBytes(let bits)):
        throw .misalignedBits(path: path, tensor: entry.name, bits: bits)
      case .success(let size):
        guard size == entry.end - entry.begin else {
          throw .sizeMismatch(
            path: path, tensor: entry.name, expected: size, actual: entry.end - entry.begin)
        }
      }
    }
    return start
  }
}

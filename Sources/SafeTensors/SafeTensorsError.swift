import FileSystem
import StrictJSON
import SystemPackage

/// Everything that can go wrong reading or writing safetensors files, sharded indexes and
/// checkpoint folders. Each case carries the file's path and the context of the problem;
/// ``description`` is one line, `"<path>: <what is wrong>"`.
public enum SafeTensorsError: Error, Sendable, Equatable, CustomStringConvertible {
  // MARK: Reading a file, in the order the reader checks.
  /// The file is shorter than the 8-byte header length.
  case fileTooSmall(path: FilePath, size: Int)
  /// The header length is over 100,000,000 bytes.
  case headerTooLarge(path: FilePath, length: UInt64)
  /// The header ends past the end of the file.
  case headerPastEnd(path: FilePath, length: UInt64, fileSize: Int)
  /// The header is not valid UTF-8 (`offset` is relative to the header's first byte).
  case invalidHeaderUTF8(path: FilePath, offset: Int)
  /// The header is not JSON, or not a JSON object of the expected shape.
  case invalidHeaderJSON(path: FilePath, reason: String)
  /// `__metadata__` is not a map of strings to strings (or null).
  case invalidMetadata(path: FilePath, reason: String)
  /// A tensor's dtype is not one of the 22 known ones.
  case unknownDType(path: FilePath, tensor: TensorName, dtype: String)
  /// Two tensors have the same name (stricter than the reference, which keeps the last).
  case duplicateTensor(path: FilePath, tensor: TensorName)
  /// A tensor is named `__metadata__` (only when writing: when reading, that key is the metadata).
  case reservedName(path: FilePath)
  /// A tensor's data does not begin where the previous one ends, or ends before it begins.
  case invalidOffsets(path: FilePath, tensor: TensorName, begin: UInt64, end: UInt64, expectedBegin: UInt64)
  /// The element or bit count of a tensor overflows 64 bits.
  case overflow(path: FilePath, tensor: TensorName)
  /// A bit-packed tensor's data does not end on a byte boundary.
  case misalignedBits(path: FilePath, tensor: TensorName, bits: UInt64)
  /// A tensor's byte range does not have the size its dtype and shape imply.
  case sizeMismatch(path: FilePath, tensor: TensorName, expected: UInt64, actual: UInt64)
  /// The file goes on after the last tensor's data.
  case trailingBytes(path: FilePath, dataEnd: UInt64, fileSize: Int)
  /// The file ends before the last tensor's data does.
  case truncated(path: FilePath, dataEnd: UInt64, fileSize: Int)

  // MARK: Files and writing.
  /// A system call failed (or a file ended early while being copied).
  case io(FileSystemError)
  /// The path does not exist.
  case notFound(path: FilePath)
  /// The output is the same file as one the tensors are read from.
  case sameFile(path: FilePath, source: FilePath)
  /// A tensor to write is inconsistent: its segments do not add up to its size, a segment lies
  /// outside its file, its shape has no whole byte size...
  case invalidTensor(path: FilePath, tensor: TensorName, reason: String)

  // MARK: Sharded checkpoints.
  /// `model.safetensors.index.json` is not an index of the expected shape.
  case invalidIndex(path: FilePath, reason: String)
  /// A shard file name is absolute, contains a path separator or `..`.
  case invalidShardName(path: FilePath, name: String)
  /// The index lists a tensor that its shard does not contain.
  case tensorMissingFromShard(path: FilePath, tensor: TensorName, shard: String)
  /// The shards and the index disagree in another way (a tensor in two shards, or in no index entry).
  case indexMismatch(path: FilePath, reason: String)
  /// The path is neither a `.safetensors` file nor a folder with `model.safetensors` or its index.
  case notACheckpoint(path: FilePath, reason: String)

  /// The kind of error, without its context: convenient for tests and for deciding what to do.
  public enum Kind: Sendable, Equatable {
    case fileTooSmall, headerTooLarge, headerPastEnd, invalidHeaderUTF8, invalidHeaderJSON
    case invalidMetadata, unknownDType, duplicateTensor, reservedName, invalidOffsets, overflow
    case misalignedBits, sizeMismatch, trailingBytes, truncated, io, notFound, sameFile
    case invalidTensor, invalidIndex, invalidShardName, tensorMissingFromShard, indexMismatch
    case notACheckpoint
  }

  /// The kind of error.
  public var kind: Kind {
    switch self {
    case .fileTooSmall: .fileTooSmall
    case .headerTooLarge: .headerTooLarge
    case .headerPastEnd: .headerPastEnd
    case .invalidHeaderUTF8: .invalidHeaderUTF8
    case .invalidHeaderJSON: .invalidHeaderJSON
    case .invalidMetadata: .invalidMetadata
    case .unknownDType: .unknownDType
    case .duplicateTensor: .duplicateTensor
    case .reservedName: .reservedName
    case .invalidOffsets: .invalidOffsets
    case .overflow: .overflow
    case .misalignedBits: .misalignedBits
    case .sizeMismatch: .sizeMismatch
    case .trailingBytes: .trailingBytes
    case .truncated: .truncated
    case .io: .io
    case .notFound: .notFound
    case .sameFile: .sameFile
    case .invalidTensor: .invalidTensor
    case .invalidIndex: .invalidIndex
    case .invalidShardName: .invalidShardName
    case .tensorMissingFromShard: .tensorMissingFromShard
    case .indexMismatch: .indexMismatch
    case .notACheckpoint: .notACheckpoint
    }
  }

  /// The file the error is about.
  public var path: FilePath {
    switch self {
    case .fileTooSmall(let path, _), .headerTooLarge(let path, _), .headerPastEnd(let path, _, _),
      .invalidHeaderUTF8(let path, _), .invalidHeaderJSON(let path, _), .invalidMetadata(let path, _),
      .unknownDType(let path, _, _), .duplicateTensor(let path, _), .reservedName(let path),
      .invalidOffsets(let path, _, _, _, _), .overflow(let path, _), .misalignedBits(let path, _, _),
      .sizeMismatch(let path, _, _, _), .trailingBytes(let path, _, _), .truncated(let path, _, _),
      .notFound(let path), .sameFile(let path, _),
      .invalidTensor(let path, _, _), .invalidIndex(let path, _), .invalidShardName(let path, _),
      .tensorMissingFromShard(let path, _, _), .indexMismatch(let path, _),
      .notACheckpoint(let path, _):
      path
    case .io(let error): error.path
    }
  }

  /// What is wrong, without the path.
  public var problem: String {
    switch self {
    case .fileTooSmall(_, let size):
      "file too small for a safetensors header (\(size) bytes, at least 8 needed)"
    case .headerTooLarge(_, let length):
      "header length \(length) is over the limit of 100000000 bytes"
    case .headerPastEnd(_, let length, let fileSize):
      "header of \(length) bytes goes past the end of the file (\(fileSize) bytes)"
    case .invalidHeaderUTF8(_, let offset): "header is not valid UTF-8 (at header byte \(offset))"
    case .invalidHeaderJSON(_, let reason): "invalid JSON in header: \(reason)"
    case .invalidMetadata(_, let reason): "invalid __metadata__: \(reason)"
    case .unknownDType(_, let tensor, let dtype):
      "tensor \(quote(tensor)) has unknown dtype \(JSONWriter.quoted(dtype))"
    case .duplicateTensor(_, let tensor): "tensor \(quote(tensor)) appears twice"
    case .reservedName: "a tensor may not be named \"__metadata__\""
    case .invalidOffsets(_, let tensor, let begin, let end, let expected):
      end < begin
        ? "tensor \(quote(tensor)) has data_offsets [\(begin), \(end)] that end before they begin"
        : "tensor \(quote(tensor)) has data_offsets [\(begin), \(end)] but its data should begin at \(expected)"
    case .overflow(_, let tensor): "tensor \(quote(tensor)): element or bit count overflows 64 bits"
    case .misalignedBits(_, let tensor, let bits):
      "tensor \(quote(tensor)) has \(bits) bits of data, not a whole number of bytes"
    case .sizeMismatch(_, let tensor, let expected, let actual):
      "tensor \(quote(tensor)) should have \(expected) bytes for its dtype and shape but data_offsets give \(actual)"
    case .trailingBytes(_, let dataEnd, let fileSize):
      "\(UInt64(fileSize) - min(dataEnd, UInt64(fileSize))) bytes after the last tensor's data (data ends at \(dataEnd), file has \(fileSize) bytes)"
    case .truncated(_, let dataEnd, let fileSize):
      "file is truncated: tensor data ends at byte \(dataEnd) but the file has \(fileSize) bytes"
    case .io(let error): error.problem
    case .notFound: "no such file or folder"
    case .sameFile(_, let source): "refusing to overwrite \(source), which is being read"
    case .invalidTensor(_, let tensor, let reason): "tensor \(quote(tensor)): \(reason)"
    case .invalidIndex(_, let reason): "invalid index: \(reason)"
    case .invalidShardName(_, let name):
      "shard name \(JSONWriter.quoted(name)) must be a plain file name (no path separator, no \"..\", not absolute)"
    case .tensorMissingFromShard(_, let tensor, let shard):
      "the index lists tensor \(quote(tensor)) in \(shard), which does not contain it"
    case .indexMismatch(_, let reason): "index and shards disagree: \(reason)"
    case .notACheckpoint(_, let reason): reason
    }
  }

  public var description: String { "\(path): \(problem)" }
}

private func quote(_ name: TensorName) -> String { JSONWriter.quoted(name.string) }

extension SafeTensorsError {
  /// The error of the file-system layer as a safetensors error: a missing file is
  /// ``notFound(path:)``, a file that ended while being copied ``truncated(path:dataEnd:fileSize:)``.
  public init(_ error: FileSystemError) {
    switch error {
    case .failed(_, let path, .noSuchFileOrDirectory): self = .notFound(path: path)
    case .truncated(let path, let end, let size):
      self = .truncated(path: path, dataEnd: UInt64(end), fileSize: Int(size))
    default: self = .io(error)
    }
  }
}

/// Runs a file-system operation, turning its error into a ``SafeTensorsError``.
@inline(__always)
func fileSystem<Result: ~Copyable>(_ body: () throws(FileSystemError) -> Result) throws(SafeTensorsError) -> Result {
  do {
    return try body()
  } catch {
    throw SafeTensorsError(error)
  }
}

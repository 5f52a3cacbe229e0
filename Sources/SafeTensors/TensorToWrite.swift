/// One segment of a tensor's bytes, for the writer.
public enum TensorData: Sendable {
  /// An absolute byte range of a file, copied in the kernel (`copy_file_range`, falling back to
  /// writing from the mapping).
  case file(SafeTensorsFile, Range<Int>)
  /// Bytes in memory.
  case bytes([UInt8])

  /// The number of bytes of the segment.
  public var count: Int {
    switch self {
    case .file(_, let range): range.count
    case .bytes(let bytes): bytes.count
    }
  }
}

/// A tensor for ``SafeTensorsWriter``: its header entry and where its bytes come from.
public struct TensorToWrite: Sendable {
  /// The name.
  public var name: TensorName
  /// The element type.
  public var dtype: DType
  /// The dimensions (empty for a 0-d tensor).
  public var shape: [Int]
  /// The bytes, in order; their sizes must add up to the size of `dtype` × `shape`.
  public var segments: [TensorData]

  /// Creates a tensor to write.
  public init(name: TensorName, dtype: DType, shape: [Int], segments: [TensorData]) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.segments = segments
  }

  /// The tensor `tensor` of `file`, unchanged.
  public static func copy(of tensor: TensorInfo, in file: SafeTensorsFile) -> TensorToWrite {
    TensorToWrite(
      name: tensor.name, dtype: tensor.dtype, shape: tensor.shape,
      segments: [.file(file, file.absoluteRange(of: tensor))])
  }
}

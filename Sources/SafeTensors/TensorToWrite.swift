/// One segment of a tensor's bytes, for the writer.
public enum TensorData: Sendable {
  /// An absolute byte range of a file, copied in the kernel (`copy_file_range`, falling back to
  /// writing from the mapping).
  case file(SafeTensorsFile, Range<Int>)
  /// Bytes in memory.
  case bytes([UInt8])
  /// `byteCount` bytes made on demand, a chunk at a time: the writer calls `produce(offset, count)`
  /// with consecutive ranges of at most `chunkBytes` bytes and writes what it returns, which must
  /// be exactly `count` bytes. Only one chunk is held at a time, so a tensor of any size can be
  /// generated row by row.
  case producer(byteCount: Int, chunkBytes: Int, produce: @Sendable (_ offset: Int, _ count: Int) -> [UInt8])

  /// The number of bytes of the segment.
  public var count: Int {
    switch self {
    case .file(_, let range): range.count
    case .bytes(let bytes): bytes.count
    case .producer(let byteCount, _, _): byteCount
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
  public var shape: [Int] {
    get { storedShape }
    set {
      storedShape = newValue
      exactDimensions = nil
    }
  }
  private var storedShape: [Int]
  /// The exact dimensions of a tensor copied from a file (one of them may exceed `Int.max` when
  /// the tensor has no elements); `nil` when ``shape`` says it all.
  private var exactDimensions: [UInt64]?
  /// The bytes, in order; their sizes must add up to the size of `dtype` × `shape`.
  public var segments: [TensorData]

  /// Creates a tensor to write.
  public init(name: TensorName, dtype: DType, shape: [Int], segments: [TensorData]) {
    self.name = name
    self.dtype = dtype
    storedShape = shape
    self.segments = segments
  }

  /// Creates a tensor to write with exact dimensions (one of them may exceed `Int.max` when the
  /// tensor has no elements, as a header may say).
  public init(name: TensorName, dtype: DType, dimensions: [UInt64], segments: [TensorData]) {
    self.init(name: name, dtype: dtype, shape: dimensions.map { Int(clamping: $0) }, segments: segments)
    exactDimensions = dimensions
  }

  /// The dimensions written in the header, or the first negative one.
  var headerDimensions: Result<[UInt64], NegativeDimension> {
    if let exactDimensions { return .success(exactDimensions) }
    var dimensions: [UInt64] = []
    for dimension in storedShape {
      guard dimension >= 0 else { return .failure(NegativeDimension(value: dimension)) }
      dimensions.append(UInt64(dimension))
    }
    return .success(dimensions)
  }

  /// A negative dimension in a shape to write.
  struct NegativeDimension: Error {
    var value: Int
  }

  /// The tensor `tensor` of `file`, unchanged.
  public static func copy(of tensor: TensorInfo, in file: SafeTensorsFile) -> TensorToWrite {
    TensorToWrite(
      name: tensor.name, dtype: tensor.dtype, dimensions: tensor.dimensions,
      segments: [.file(file, file.absoluteRange(of: tensor))])
  }
}

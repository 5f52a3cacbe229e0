/// One tensor entry of a safetensors header.
public struct TensorInfo: Sendable, Equatable {
  /// The tensor's name.
  public var name: TensorName
  /// The element type.
  public var dtype: DType
  /// The dimensions; empty for a 0-d (scalar) tensor.
  public var shape: [Int]
  /// The byte range of the data, relative to the start of the data section (as in the header).
  public var dataOffsets: Range<Int>

  /// Creates an entry.
  public init(name: TensorName, dtype: DType, shape: [Int], dataOffsets: Range<Int>) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.dataOffsets = dataOffsets
  }

  /// The size of the data in bytes.
  public var byteCount: Int { dataOffsets.count }

  /// The number of elements (1 for a 0-d tensor). Saturates at `Int.max` on overflow, which a
  /// validated header never has.
  public var elementCount: Int {
    var count = 1
    for dimension in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
      if overflow { return Int.max }
      count = product
    }
    return count
  }
}

/// Byte size computations with overflow checks, shared by the reader and the writer.
enum TensorSize {
  /// Why a shape has no byte size.
  enum Problem: Error { case overflow, notWholeBytes(bits: UInt64) }

  /// The byte size of `shape` elements of `dtype`, computing in `UInt64` like the reference's `usize`.
  static func byteCount(dtype: DType, shape: some Sequence<UInt64>) -> Result<UInt64, Problem> {
    var elements: UInt64 = 1
    for dimension in shape {
      let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
      if overflow { return .failure(.overflow) }
      elements = product
    }
    let (bits, overflow) = elements.multipliedReportingOverflow(by: UInt64(dtype.bitSize))
    if overflow { return .failure(.overflow) }
    if bits % 8 != 0 { return .failure(.notWholeBytes(bits: bits)) }
    return .success(bits / 8)
  }
}

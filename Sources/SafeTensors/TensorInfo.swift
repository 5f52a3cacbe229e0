/// One tensor entry of a safetensors header.
public struct TensorInfo: Sendable, Equatable {
  /// The tensor's name.
  public var name: TensorName
  /// The element type.
  public var dtype: DType
  /// The dimensions exactly as the header gives them; empty for a 0-d (scalar) tensor. A
  /// tensor of no elements may have a dimension above `Int.max` (`[0, 18446744073709551615]`).
  public var dimensions: [UInt64]
  /// The byte range of the data, relative to the start of the data section (as in the header).
  public var dataOffsets: Range<Int>

  /// Creates an entry.
  public init(name: TensorName, dtype: DType, shape: [Int], dataOffsets: Range<Int>) {
    self.init(name: name, dtype: dtype, dimensions: shape.map { UInt64(max($0, 0)) }, dataOffsets: dataOffsets)
  }

  /// Creates an entry with the header's exact dimensions.
  public init(name: TensorName, dtype: DType, dimensions: [UInt64], dataOffsets: Range<Int>) {
    self.name = name
    self.dtype = dtype
    self.dimensions = dimensions
    self.dataOffsets = dataOffsets
  }

  /// The dimensions as `Int`s; empty for a 0-d (scalar) tensor. A dimension above `Int.max`
  /// (possible only in a tensor of no elements) reads as `Int.max`.
  public var shape: [Int] {
    get { dimensions.map { Int(clamping: $0) } }
    set { dimensions = newValue.map { UInt64(max($0, 0)) } }
  }

  /// The size of the data in bytes.
  public var byteCount: Int { dataOffsets.count }

  /// The number of elements (1 for a 0-d tensor). Saturates at `Int.max` on overflow, which a
  /// validated header never has.
  public var elementCount: Int {
    switch TensorSize.elementCount(dimensions) {
    case .success(let count): Int(clamping: count)
    case .failure: Int.max
    }
  }
}

/// Byte size computations with overflow checks, shared by the reader and the writer.
enum TensorSize {
  /// Why a shape has no byte size.
  enum Problem: Error {
    case overflow
    case notWholeBytes(bits: UInt64)
  }

  /// The number of elements of `shape`, computing in `UInt64` like the reference's `usize`
  /// (dimension by dimension, in order: `[0, 2^64-1]` has 0 elements).
  static func elementCount(_ shape: some Sequence<UInt64>) -> Result<UInt64, Problem> {
    var elements: UInt64 = 1
    for dimension in shape {
      let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
      if overflow { return .failure(.overflow) }
      elements = product
    }
    return .success(elements)
  }

  /// The byte size of `shape` elements of `dtype`, computing in `UInt64` like the reference's `usize`.
  static func byteCount(dtype: DType, shape: some Sequence<UInt64>) -> Result<UInt64, Problem> {
    let elements: UInt64
    switch elementCount(shape) {
    case .success(let count): elements = count
    case .failure(let problem): return .failure(problem)
    }
    let (bits, overflow) = elements.multipliedReportingOverflow(by: UInt64(dtype.bitSize))
    if overflow { return .failure(.overflow) }
    if bits % 8 != 0 { return .failure(.notWholeBytes(bits: bits)) }
    return .success(bits / 8)
  }
}

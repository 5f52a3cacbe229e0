import SafeTensors
import SystemPackage

/// The floating-point element formats whose rows embsurgery can read and initialize.
///
/// Rows are converted to `Float` (`Double` for ``float64``) for arithmetic and back with
/// round-to-nearest-even. Every conversion reads little-endian with unaligned loads.
public enum FloatingPointFormat: String, Sendable, CaseIterable {
  case bfloat16 = "BF16"
  case float16 = "F16"
  case float32 = "F32"
  case float64 = "F64"

  /// Bytes per element.
  public var byteWidth: Int {
    switch self {
    case .bfloat16, .float16: 2
    case .float32: 4
    case .float64: 8
    }
  }

  /// Converts the elements of `bytes` to `Float`, writing them to `destination`.
  ///
  /// - Precondition: `bytes` holds exactly `destination.count` elements.
  /// - Complexity: O(*n*); BF16, F16 and F32 are converted 16 elements at a time.
  public func decode(_ bytes: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) {
    precondition(bytes.count == destination.count * byteWidth, "\(bytes.count) bytes for \(destination.count) elements")
    withElements(of: bytes, into: destination) { decode($0, count: destination.count, into: $1) }
  }

  /// Converts the elements of `bytes` to `Float` one by one (any host byte order): the reference
  /// of the vectorized ``decode(_:into:)-(_,UnsafeMutableBufferPointer<Float>)``.
  ///
  /// - Precondition: `bytes` holds exactly `destination.count` elements (checked in builds with
  ///   internal checks).
  @inlinable
  package func decodeScalar(_ bytes: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) {
    withElements(of: bytes, into: destination) { decodeScalar($0, count: destination.count, into: $1) }
  }

  /// Converts the elements of `bytes` to `Double` (exact for every format).
  ///
  /// - Precondition: `bytes` holds exactly `destination.count` elements (checked in builds with
  ///   internal checks).
  @inlinable
  package func decode(_ bytes: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Double>) {
    withElements(of: bytes, into: destination) { decode($0, count: destination.count, into: $1) }
  }

  /// Calls `body` with the addresses of `bytes` and `destination` (not for empty buffers), once
  /// `bytes` is checked to hold `destination.count` elements (in builds with internal checks).
  @inlinable @inline(__always)
  func withElements<Element>(
    of bytes: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Element>,
    _ body: (UnsafeRawPointer, UnsafeMutablePointer<Element>) -> Void
  ) {
    internalCheck(
      bytes.count == destination.count * byteWidth, "\(bytes.count) bytes for \(destination.count) elements")
    guard let source = bytes.baseAddress, let target = destination.baseAddress else { return }
    body(source, target)
  }

  /// Whether every element of `bytes` is zero (either sign).
  ///
  /// - Precondition: `bytes` holds whole elements (checked in builds with internal checks).
  @inlinable
  package func isAllZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
    internalCheck(bytes.count % byteWidth == 0, "\(bytes.count) bytes are not whole \(rawValue) elements")
    guard let source = bytes.baseAddress else { return true }
    return isAllZero(source, count: bytes.count / byteWidth)
  }

  /// Converts `count` elements starting at `source` to `Float`, writing them to `destination`:
  /// the loop behind the buffer functions, for the kernels' inner steps.
  ///
  /// - Complexity: O(*count*); BF16, F16 and F32 are converted 16 elements at a time.
  @inlinable
  func decode(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
    guard FloatingPointFormat.hostIsLittleEndian else {
      decodeScalar(source, count: count, into: destination)
      return
    }
    switch self {
    case .bfloat16: decodeVectorized(BFloat16Decoder.self, source, count: count, into: destination)
    case .float16: decodeVectorized(Float16Decoder.self, source, count: count, into: destination)
    case .float32: decodeVectorized(Float32Decoder.self, source, count: count, into: destination)
    case .float64: decodeScalar(source, count: count, into: destination)
    }
  }

  /// The element-by-element conversion (any host byte order).
  @inlinable
  func decodeScalar(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
    switch self {
    case .bfloat16:
      for index in 0..<count {
        let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
        destination[index] = Float(bitPattern: UInt32(bits) << 16)
      }
    case .float16:
      for index in 0..<count {
        let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
        destination[index] = Float(Float16(bitPattern: bits))
      }
    case .float32:
      for index in 0..<count {
        let bits = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))
        destination[index] = Float(bitPattern: bits)
      }
    case .float64:
      for index in 0..<count {
        let bits = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self))
        destination[index] = Float(Double(bitPattern: bits))
      }
    }
  }

  /// Converts `count` elements starting at `source` to `Double` (exact for every format).
  @inlinable
  func decode(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Double>) {
    if self == .float64 {
      for index in 0..<count {
        let bits = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self))
        destination[index] = Double(bitPattern: bits)
      }
      return
    }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { floats in
      guard let base = floats.baseAddress else { return }
      decode(source, count: count, into: base)
      for index in 0..<count { destination[index] = Double(base[index]) }
    }
  }

  /// The little-endian bytes of `values` in this format, rounding to nearest, ties to even.
  public func encode(_ values: [Double]) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(values.count * byteWidth)
    for value in values {
      switch self {
      case .bfloat16: append(FloatingPointFormat.bfloat16Bits(Float(value)), to: &bytes)
      case .float16: append(Float16(Float(value)).bitPattern, to: &bytes)
      case .float32: append(Float(value).bitPattern, to: &bytes)
      case .float64: append(value.bitPattern, to: &bytes)
      }
    }
    return bytes
  }

  /// Whether every element of the `count` elements at `source` is zero (either sign).
  @inlinable
  func isAllZero(_ source: UnsafeRawPointer, count: Int) -> Bool {
    switch self {
    case .bfloat16, .float16:
      var bits: UInt16 = 0
      for index in 0..<count {
        bits |= source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)
      }
      return UInt16(littleEndian: bits) & 0x7FFF == 0
    case .float32:
      var bits: UInt32 = 0
      for index in 0..<count {
        bits |= source.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)
      }
      return UInt32(littleEndian: bits) & 0x7FFF_FFFF == 0
    case .float64:
      var bits: UInt64 = 0
      for index in 0..<count {
        bits |= source.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self)
      }
      return UInt64(littleEndian: bits) & 0x7FFF_FFFF_FFFF_FFFF == 0
    }
  }

  /// The bfloat16 bits of `value`, rounded to nearest, ties to even; NaN stays a (quiet) NaN.
  @inlinable
  public static func bfloat16Bits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
    let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
    return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
  }

  private func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
  }
}

extension FloatingPointFormat {
  /// The format of `tensor`, or an error naming the tensor and `path` when its dtype is not one
  /// whose rows can be initialized.
  static func of(_ tensor: TensorInfo, path: FilePath) throws(SurgeryError) -> FloatingPointFormat {
    guard let format = FloatingPointFormat(rawValue: tensor.dtype.rawValue) else {
      throw .unsupportedTensor(
        path: path, name: tensor.name.string,
        reason: "has dtype \(tensor.dtype.rawValue); F32, F16, BF16 or F64 expected")
    }
    return format
  }
}

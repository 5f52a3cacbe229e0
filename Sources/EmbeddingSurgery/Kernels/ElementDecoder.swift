/// Vectorized conversion of 16 little-endian elements of one format to `Float`: the inner step of
/// ``FloatingPointFormat/decode(_:count:into:)`` and of the column statistics.
///
/// ``load16(_:)`` returns the 16 values as two halves in an order of the decoder's choosing (for
/// the 2-byte formats, even elements then odd ones: that needs no shuffle), and ``slot(of:)`` says
/// where element `j` went. The loads are unaligned SIMD loads of the raw bytes, used only on
/// little-endian hosts (callers fall back to the scalar loops elsewhere).
@usableFromInline
protocol ElementDecoder {
  /// Bytes per element.
  static var byteWidth: Int { get }
  /// The 16 elements at `source`, as `Float`, permuted (see ``slot(of:)``).
  static func load16(_ source: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>)
  /// Where element `index` (0..<16) of a group is in ``load16(_:)``'s halves, counted from the
  /// first lane of the first half.
  static func slot(of index: Int) -> Int
  /// The 16 elements at `source` in order.
  static func load16InOrder(_ source: UnsafeRawPointer) -> SIMD16<Float>
}

/// A 2-byte format whose ``ElementDecoder/load16(_:)`` returns the even elements in the first
/// half and the odd ones in the second (a 32-bit lane holds one of each).
@usableFromInline
protocol PairedHalvesDecoder: ElementDecoder {}

extension PairedHalvesDecoder {
  @inlinable @inline(__always)
  static func slot(of index: Int) -> Int { (index & 1) * 8 + index >> 1 }

  @inlinable @inline(__always)
  static func load16InOrder(_ source: UnsafeRawPointer) -> SIMD16<Float> {
    let (even, odd) = load16(source)
    return interleaved(even, odd)
  }
}

/// The 16 lanes of two halves that hold even elements then odd ones, in element order.
@inlinable @inline(__always)
func interleaved(_ even: SIMD8<Float>, _ odd: SIMD8<Float>) -> SIMD16<Float> {
  SIMD16<Float>(
    even[0], odd[0], even[1], odd[1], even[2], odd[2], even[3], odd[3],
    even[4], odd[4], even[5], odd[5], even[6], odd[6], even[7], odd[7])
}

/// bfloat16: the upper half of a `Float`. A 32-bit lane holds two elements: the even one becomes
/// a `Float` by a shift, the odd one by a mask.
@usableFromInline
enum BFloat16Decoder: PairedHalvesDecoder {
  @inlinable static var byteWidth: Int { 2 }

  @inlinable @inline(__always)
  static func load16(_ source: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>) {
    let pairs = source.loadUnaligned(as: SIMD8<UInt32>.self)
    return (
      unsafeBitCast(pairs &<< 16, to: SIMD8<Float>.self),
      unsafeBitCast(pairs & 0xFFFF_0000, to: SIMD8<Float>.self)
    )
  }
}

/// IEEE half precision, converted with integer operations and one multiplication (exact for
/// normal and subnormal numbers; infinities stay infinities; NaNs keep their payload shifted into
/// place and come out quiet, as `Float(Float16)` does). Even elements first, odd ones second.
@usableFromInline
enum Float16Decoder: PairedHalvesDecoder {
  @inlinable static var byteWidth: Int { 2 }

  @inlinable @inline(__always)
  static func load16(_ source: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>) {
    let pairs = source.loadUnaligned(as: SIMD8<UInt32>.self)
    return (widen(pairs & 0xFFFF), widen(pairs &>> 16))
  }

  @inlinable @inline(__always)
  static func widen(_ bits: SIMD8<UInt32>) -> SIMD8<Float> {
    // Integer and bitwise lane operations only (no lane masks, which do not vectorize well).
    let sign = (bits & 0x8000) &<< 16
    let magnitude = bits & 0x7FFF
    // Exponent and mantissa moved into a Float's places, then rebased from bias 15 to 127 by 2^112.
    let shifted = magnitude &<< 13
    let scaled = unsafeBitCast(shifted, to: SIMD8<Float>.self) * Float(bitPattern: 0x7780_0000)
    // All ones where the exponent is all ones (infinity or NaN): magnitude >= 0x7C00.
    let special = SIMD8<UInt32>() &- ((magnitude &+ 0x0400) &>> 15)
    // The quiet bit, for NaNs: magnitude >= 0x7C01.
    let quiet = ((magnitude &+ 0x03FF) &>> 15) &<< 22
    let result =
      (unsafeBitCast(scaled, to: SIMD8<UInt32>.self) & ~special)
      | ((shifted | 0x7F80_0000) & special) | quiet | sign
    return unsafeBitCast(result, to: SIMD8<Float>.self)
  }
}

/// IEEE single precision: two plain loads, in order.
@usableFromInline
enum Float32Decoder: ElementDecoder {
  @inlinable static var byteWidth: Int { 4 }

  @inlinable @inline(__always)
  static func load16(_ source: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>) {
    (
      source.loadUnaligned(as: SIMD8<Float>.self),
      source.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
    )
  }

  @inlinable @inline(__always)
  static func slot(of index: Int) -> Int { index }

  @inlinable @inline(__always)
  static func load16InOrder(_ source: UnsafeRawPointer) -> SIMD16<Float> {
    source.loadUnaligned(as: SIMD16<Float>.self)
  }
}

extension FloatingPointFormat {
  /// Whether the SIMD paths apply: the host reads the files' little-endian bytes as they are.
  @inlinable
  static var hostIsLittleEndian: Bool {
    #if _endian(little)
      true
    #else
      false
    #endif
  }

  /// Converts `count` elements with `decoder`, 16 at a time, the rest one by one.
  @inlinable @inline(__always)
  func decodeVectorized<D: ElementDecoder>(
    _ decoder: D.Type, _ source: UnsafeRawPointer, count: Int,
    into destination: UnsafeMutablePointer<Float>
  ) {
    let vectorCount = count & ~15
    let target = UnsafeMutableRawPointer(destination)
    var index = 0
    while index < vectorCount {
      target.storeBytes(
        of: D.load16InOrder(source + index * D.byteWidth), toByteOffset: index * 4,
        as: SIMD16<Float>.self)
      index += 16
    }
    if index < count {
      decodeScalar(source + index * D.byteWidth, count: count - index, into: destination + index)
    }
  }
}

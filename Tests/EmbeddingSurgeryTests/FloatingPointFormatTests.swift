import EmbeddingSurgery
import Testing

@Suite struct FloatingPointFormatTests {
  @Test func bfloat16RoundsToNearestEven() {
    // 1 + 2^-8 lies exactly between two bf16 values: ties go to the even one (1.0).
    #expect(FloatingPointFormat.bfloat16Bits(1 + 0x1p-8) == 0x3F80)
    // 1 + 3·2^-8 is a tie between 0x3F81 and 0x3F82: even is 0x3F82.
    #expect(FloatingPointFormat.bfloat16Bits(1 + 3 * 0x1p-8) == 0x3F82)
    // Just above the tie rounds up.
    #expect(FloatingPointFormat.bfloat16Bits(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
    #expect(FloatingPointFormat.bfloat16Bits(-2) == 0xC000)
    #expect(FloatingPointFormat.bfloat16Bits(.infinity) == 0x7F80)
    #expect(FloatingPointFormat.bfloat16Bits(.nan) & 0x7FC0 == 0x7FC0)
    // The largest float rounds to infinity, as RNE requires.
    #expect(FloatingPointFormat.bfloat16Bits(.greatestFiniteMagnitude) == 0x7F80)
  }

  @Test(arguments: FloatingPointFormat.allCases)
  func encodeThenDecodeIsExactForRepresentableValues(_ format: FloatingPointFormat) {
    let values: [Double] = [0, -0.0, 1, -1.5, 0.25, 1024, -0.015625]
    let bytes = format.encode(values)
    #expect(bytes.count == values.count * format.byteWidth)
    var decoded = [Double](repeating: .nan, count: values.count)
    // Decode from an odd address: data in safetensors files may be unaligned.
    let shifted = [0] + bytes
    shifted.withUnsafeBytes { buffer in
      decoded.withUnsafeMutableBufferPointer { destination in
        format.decode(UnsafeRawBufferPointer(rebasing: buffer[1...]), into: destination)
      }
    }
    #expect(decoded == values)
  }

  @Test func float16EncodingIsLittleEndianAndRounds() {
    // 1/3 in f16 is 0x3555; 65520 rounds to infinity.
    #expect(FloatingPointFormat.float16.encode([1.0 / 3.0]) == [0x55, 0x35])
    #expect(FloatingPointFormat.float16.encode([65520]) == [0x00, 0x7C])
    #expect(FloatingPointFormat.float32.encode([1]) == [0x00, 0x00, 0x80, 0x3F])
  }

  @Test func zeroRowsAreRecognizedWithEitherSign() {
    let negativeZero = FloatingPointFormat.bfloat16.encode([-0.0, 0, -0.0])
    let notZero = FloatingPointFormat.bfloat16.encode([0, 0, 1e-30])
    negativeZero.withUnsafeBytes { #expect(FloatingPointFormat.bfloat16.isAllZero($0)) }
    notZero.withUnsafeBytes { #expect(!FloatingPointFormat.bfloat16.isAllZero($0)) }
  }
}

/// The test build checks the kernels' buffer counts (Package.swift defines
/// EMBSURGERY_INTERNAL_CHECKS in debug builds).
@Suite struct InternalChecksTests {
  @Test func theTestBuildChecksBufferCounts() {
    #expect(internalChecksAreEnabled)
  }
}

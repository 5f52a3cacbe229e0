/// GPT-2's reversible map from bytes to printable Unicode scalars, used by byte-level BPE.
enum ByteLevelAlphabet {
  /// The scalar standing for each byte value.
  static let scalars: [Unicode.Scalar] = {
    var printable: [UInt8] = []
    printable.append(contentsOf: 0x21...0x7E)
    printable.append(contentsOf: 0xA1...0xAC)
    printable.append(contentsOf: 0xAE...0xFF)
    var table = [Unicode.Scalar](repeating: " ", count: 256)
    var isPrintable = [Bool](repeating: false, count: 256)
    for byte in printable {
      table[Int(byte)] = Unicode.Scalar(byte)
      isPrintable[Int(byte)] = true
    }
    var next: UInt32 = 256
    for byte in 0..<256 where !isPrintable[byte] {
      table[byte] = Unicode.Scalar(next)!
      next += 1
    }
    return table
  }()

  /// The byte each scalar of the alphabet stands for, indexed by the scalar's value (the
  /// alphabet's scalars are all below U+0144).
  private static let bytesByScalar: [Int16] = {
    var table = [Int16](repeating: -1, count: 0x144)
    for (byte, scalar) in scalars.enumerated() { table[Int(scalar.value)] = Int16(byte) }
    return table
  }()

  /// The byte `scalar` stands for, or `nil` when it is not in the alphabet.
  static func byte(of scalar: Unicode.Scalar) -> UInt8? {
    let value = Int(scalar.value)
    guard value < bytesByScalar.count, bytesByScalar[value] >= 0 else { return nil }
    return UInt8(bytesByScalar[value])
  }

  /// The byte-level form of a piece: each UTF-8 byte becomes its scalar.
  static func encode(_ text: inout NormalizedText) {
    text = encoded(text, 0..<text.count)
  }

  /// The byte-level form of the part of `text` in `range`: each UTF-8 byte becomes its scalar,
  /// which inherits the origin of the scalar it comes from.
  ///
  /// - Complexity: O(*n*) in the scalars of `range`, with two allocations.
  static func encoded(_ text: NormalizedText, _ range: Range<Int>) -> NormalizedText {
    var newScalars: [Unicode.Scalar] = []
    var newOrigins: [Int] = []
    newScalars.reserveCapacity(range.count * 2)
    newOrigins.reserveCapacity(range.count * 2)
    scalars.withUnsafeBufferPointer { alphabet in
      for index in range {
        let scalar = text.scalars[index]
        let origin = text.origins[index]
        if scalar.isASCII {
          newScalars.append(alphabet[Int(scalar.value)])
          newOrigins.append(origin)
          continue
        }
        for byte in UTF8.encode(scalar) ?? UTF8.encodedReplacementCharacter {
          newScalars.append(alphabet[Int(byte)])
          newOrigins.append(origin)
        }
      }
    }
    return NormalizedText(scalars: newScalars, origins: newOrigins)
  }
}

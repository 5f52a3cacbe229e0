/// A piece of text on its way through the pipeline: its Unicode scalars and, for each, where it
/// came from in the original text.
///
/// Only the origin of a piece's first scalar matters to the engine (Metaspace's `first` prepend
/// scheme prepends only to the piece that starts the original text).
struct NormalizedText: Sendable {
  /// The text.
  var scalars: [Unicode.Scalar]
  /// For each scalar, the index in the original text of the scalar it derives from.
  var origins: [Int]

  init(_ text: String) {
    scalars = Array(text.unicodeScalars)
    origins = Array(0..<scalars.count)
  }

  init(scalars: [Unicode.Scalar], origins: [Int]) {
    self.scalars = scalars
    self.origins = origins
  }

  var isEmpty: Bool { scalars.isEmpty }
  package var count: Int { scalars.count }

  /// The text as a string.
  ///
  /// - Complexity: O(*n*), one allocation at most (none for a short text).
  var string: String {
    // Each scalar takes at most 4 UTF-8 bytes; writing them directly skips the validation and
    // growth of String.UnicodeScalarView's appends.
    String(unsafeUninitializedCapacity: scalars.count * 4) { buffer in
      var count = 0
      for scalar in scalars {
        if scalar.isASCII {
          buffer[count] = UInt8(truncatingIfNeeded: scalar.value)
          count += 1
          continue
        }
        for byte in UTF8.encode(scalar) ?? UTF8.encodedReplacementCharacter {
          buffer[count] = byte
          count += 1
        }
      }
      return count
    }
  }

  /// Whether the piece starts at the beginning of the original text.
  var startsOriginal: Bool { origins.first == 0 }

  /// The part in `range`.
  func slice(_ range: Range<Int>) -> NormalizedText {
    NormalizedText(scalars: Array(scalars[range]), origins: Array(origins[range]))
  }

  /// Replaces each scalar by zero or more scalars, which inherit its origin.
  mutating func transform(_ body: (Unicode.Scalar) -> [Unicode.Scalar]) {
    var newScalars: [Unicode.Scalar] = []
    var newOrigins: [Int] = []
    newScalars.reserveCapacity(scalars.count)
    newOrigins.reserveCapacity(scalars.count)
    for (scalar, origin) in zip(scalars, origins) {
      for replacement in body(scalar) {
        newScalars.append(replacement)
        newOrigins.append(origin)
      }
    }
    scalars = newScalars
    origins = newOrigins
  }

  /// Keeps the scalars for which `keep` is true.
  mutating func filter(_ keep: (Unicode.Scalar) -> Bool) {
    var newScalars: [Unicode.Scalar] = []
    var newOrigins: [Int] = []
    for (scalar, origin) in zip(scalars, origins) where keep(scalar) {
      newScalars.append(scalar)
      newOrigins.append(origin)
    }
    scalars = newScalars
    origins = newOrigins
  }

  /// Puts `prefix` in front; the new scalars take the origin of the current first scalar.
  mutating func prepend(_ prefix: [Unicode.Scalar]) {
    let origin = origins.first ?? 0
    scalars.insert(contentsOf: prefix, at: 0)
    origins.insert(contentsOf: Array(repeating: origin, count: prefix.count), at: 0)
  }

  /// Appends `suffix`; the new scalars take the origin of the current last scalar.
  mutating func append(_ suffix: [Unicode.Scalar]) {
    let origin = origins.last ?? 0
    scalars.append(contentsOf: suffix)
    origins.append(contentsOf: Array(repeating: origin, count: suffix.count))
  }
}

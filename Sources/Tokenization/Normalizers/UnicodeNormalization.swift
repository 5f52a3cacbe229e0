/// The Unicode normalization forms as the HF library computes them
/// (`unicode-normalization-alignments`, with Unicode 9.0 tables).
///
/// Characters assigned after Unicode 9.0 have no decomposition and combining class 0 there, so
/// they are left alone and block reordering and composition, as in HF. Decompositions and
/// compositions come from tables generated from Python's `unicodedata`
/// (`UnicodeNormalization+Tables.swift`, by `scripts/generate-unicode-tables`), Hangul syllables
/// are decomposed and composed algorithmically, and combining classes and ages come from the
/// standard library.
enum UnicodeNormalization {
  enum Form: Sendable {
    case nfc, nfd, nfkc, nfkd

    var compatibility: Bool { self == .nfkc || self == .nfkd }
    var composes: Bool { self == .nfc || self == .nfkc }
  }

  /// Whether HF's tables know the scalar (assigned in Unicode 9.0 or earlier).
  static func isKnown(_ scalar: Unicode.Scalar) -> Bool {
    UnicodeClasses.assigned(scalar, by: 9, 0)
  }

  /// The canonical combining class in HF's tables.
  static func combiningClass(_ scalar: Unicode.Scalar) -> UInt8 {
    if scalar.value < 0x300 || !isKnown(scalar) { return 0 }
    return scalar.properties.canonicalCombiningClass.rawValue
  }

  /// The full canonical or compatibility decomposition of one scalar.
  static func decompose(_ scalar: Unicode.Scalar, compatibility: Bool) -> [Unicode.Scalar] {
    var parts: [Unicode.Scalar] = []
    forEachPart(of: scalar, compatibility: compatibility) { parts.append($0) }
    return parts
  }

  /// Calls `body` with each scalar of the full decomposition of `scalar`, in order.
  @inline(__always)
  private static func forEachPart(
    of scalar: Unicode.Scalar, compatibility: Bool, _ body: (Unicode.Scalar) -> Void
  ) {
    let value = scalar.value
    if (0xAC00...0xD7A3).contains(value) {
      let index = value - 0xAC00
      body(Unicode.Scalar(0x1100 + index / 588)!)
      body(Unicode.Scalar(0x1161 + (index % 588) / 28)!)
      if index % 28 != 0 { body(Unicode.Scalar(0x11A7 + index % 28)!) }
    } else if value >= 0xA0,
      let parts = tables.decomposition(of: value, compatibility: compatibility)
    {
      for part in parts { body(part) }
    } else {
      body(scalar)
    }
  }

  /// The primary composite of two scalars, if any.
  static func compose(_ first: Unicode.Scalar, _ second: Unicode.Scalar) -> Unicode.Scalar? {
    let a = first.value
    let b = second.value
    if (0x1100...0x1112).contains(a) && (0x1161...0x1175).contains(b) {
      return Unicode.Scalar(0xAC00 + ((a - 0x1100) * 21 + (b - 0x1161)) * 28)
    }
    if (0xAC00...0xD7A3).contains(a) && (a - 0xAC00) % 28 == 0 && (0x11A8...0x11C2).contains(b) {
      return Unicode.Scalar(a + b - 0x11A7)
    }
    return tables.composite(of: a, b)
  }

  /// Normalizes `text` to `form`; each output scalar keeps the origin of the scalar it comes
  /// from (a composite that of its first part).
  static func normalize(_ text: inout NormalizedText, form: Form) {
    if text.scalars.allSatisfy({ $0.value < 0xA0 }) { return }
    var (scalars, origins) = decomposition(of: text, compatibility: form.compatibility)
    var classes = scalars.map(combiningClass)
    orderMarks(&scalars, origins: &origins, classes: &classes)
    if form.composes && !scalars.isEmpty { composeAll(&scalars, origins: &origins, classes: &classes) }
    text = NormalizedText(scalars: scalars, origins: origins)
  }

  /// Step 1: every scalar of `text` decomposed (canonically, or for compatibility), each part
  /// with the origin of its scalar.
  private static func decomposition(
    of text: NormalizedText, compatibility: Bool
  ) -> (scalars: [Unicode.Scalar], origins: [Int]) {
    var scalars: [Unicode.Scalar] = []
    var origins: [Int] = []
    scalars.reserveCapacity(text.count)
    origins.reserveCapacity(text.count)
    for (scalar, origin) in zip(text.scalars, text.origins) {
      forEachPart(of: scalar, compatibility: compatibility) { part in
        scalars.append(part)
        origins.append(origin)
      }
    }
    return (scalars, origins)
  }

  /// Step 2: each run of marks (non-zero combining `classes`) in canonical order, a stable sort
  /// by combining class; origins and classes move with their scalars.
  private static func orderMarks(_ scalars: inout [Unicode.Scalar], origins: inout [Int], classes: inout [UInt8]) {
    var start = 0
    while start < scalars.count {
      if classes[start] == 0 {
        start += 1
        continue
      }
      var end = start
      while end < scalars.count && classes[end] != 0 { end += 1 }
      if end - start > 1 {
        for i in (start + 1)..<end {
          var j = i
          while j > start && classes[j - 1] > classes[j] {
            scalars.swapAt(j - 1, j)
            origins.swapAt(j - 1, j)
            classes.swapAt(j - 1, j)
            j -= 1
          }
        }
      }
      start = end
    }
  }

  /// Step 3 (NFC, NFKC): each scalar that is not blocked from the last starter composed with it;
  /// a composite keeps the origin of the starter. `scalars` must not be empty.
  private static func composeAll(_ scalars: inout [Unicode.Scalar], origins: inout [Int], classes: inout [UInt8]) {
    var starter = 0
    var lastClass: Int = classes[0] == 0 ? 0 : 256
    var write = 1
    for read in 1..<scalars.count {
      let scalar = scalars[read]
      let scalarClass = Int(classes[read])
      if lastClass < scalarClass || lastClass == 0,
        let composite = compose(scalars[starter], scalar)
      {
        scalars[starter] = composite
        continue
      }
      if scalarClass == 0 { starter = write }
      lastClass = scalarClass
      scalars[write] = scalar
      origins[write] = origins[read]
      classes[write] = classes[read]
      write += 1
    }
    scalars.removeSubrange(write...)
    origins.removeSubrange(write...)
  }
}

extension UnicodeNormalization {
  /// The generated data (`decompositionData`, `compositionData`), parsed at first use.
  fileprivate static let tables = Tables()

  fileprivate struct Tables: Sendable {
    /// The scalars that decompose (besides the Hangul syllables), ascending.
    private var keys: [UInt32] = []
    /// Per key, the positions of its canonical and of its compatibility decomposition in `parts`
    /// (empty: the scalar itself).
    private var canonical: [Range<Int32>] = []
    private var compatibility: [Range<Int32>] = []
    private var parts: [Unicode.Scalar] = []
    /// The pairs that compose (first << 32 | second), ascending, and their composites.
    private var pairs: [UInt64] = []
    private var composites: [Unicode.Scalar] = []

    init() {
      Self.forEachLine(of: UnicodeNormalization.decompositionData) { fields in
        keys.append(fields[0])
        var canonicalStart = Int32(parts.count)
        var canonicalEnd = canonicalStart
        var inCompatibility = false
        for field in fields.dropFirst() {
          switch field {
          case Self.canonicalMark: canonicalStart = Int32(parts.count)
          case Self.compatibilityMark:
            canonicalEnd = Int32(parts.count)
            inCompatibility = true
          default: parts.append(Unicode.Scalar(field)!)
          }
        }
        if !inCompatibility { canonicalEnd = Int32(parts.count) }
        let canonicalRange = canonicalStart..<canonicalEnd
        canonical.append(canonicalRange)
        compatibility.append(inCompatibility ? canonicalEnd..<Int32(parts.count) : canonicalRange)
      }
      Self.forEachLine(of: UnicodeNormalization.compositionData) { fields in
        pairs.append(UInt64(fields[0]) << 32 | UInt64(fields[1]))
        composites.append(Unicode.Scalar(fields[2])!)
      }
      precondition(
        zip(keys, keys.dropFirst()).allSatisfy(<) && zip(pairs, pairs.dropFirst()).allSatisfy(<),
        "the generated Unicode tables are not sorted")
    }

    /// The full decomposition of `value` (nil: the scalar itself).
    func decomposition(of value: UInt32, compatibility wanted: Bool) -> ArraySlice<Unicode.Scalar>? {
      guard let index = Self.index(of: value, in: keys) else { return nil }
      let range = wanted ? compatibility[index] : canonical[index]
      return range.isEmpty ? nil : parts[Int(range.lowerBound)..<Int(range.upperBound)]
    }

    /// The primary composite of `first` and `second`, if any.
    func composite(of first: UInt32, _ second: UInt32) -> Unicode.Scalar? {
      Self.index(of: UInt64(first) << 32 | UInt64(second), in: pairs).map { composites[$0] }
    }

    /// The position of `key` in the ascending `array`, by binary search.
    private static func index<Key: Comparable>(of key: Key, in array: [Key]) -> Int? {
      var low = 0
      var high = array.count
      while low < high {
        let middle = (low + high) / 2
        if array[middle] < key { low = middle + 1 } else { high = middle }
      }
      return low < array.count && array[low] == key ? low : nil
    }

    /// `=` and `~` in the generated data (not scalar values).
    private static let canonicalMark: UInt32 = 0xFFFF_FFFF
    private static let compatibilityMark: UInt32 = 0xFFFF_FFFE

    /// Calls `body` with the fields of each line of generated data: its hexadecimal numbers, and
    /// the marks for `=` and `~`.
    private static func forEachLine(of data: StaticString, _ body: ([UInt32]) -> Void) {
      data.withUTF8Buffer { bytes in
        var fields: [UInt32] = []
        var number: UInt32?
        for byte in bytes {
          switch byte {
          case UInt8(ascii: "0")...UInt8(ascii: "9"):
            number = (number ?? 0) << 4 | UInt32(byte - UInt8(ascii: "0"))
          case UInt8(ascii: "A")...UInt8(ascii: "F"):
            number = (number ?? 0) << 4 | UInt32(byte - UInt8(ascii: "A") + 10)
          default:
            if let value = number { fields.append(value) }
            number = nil
            switch byte {
            case UInt8(ascii: "="): fields.append(Self.canonicalMark)
            case UInt8(ascii: "~"): fields.append(Self.compatibilityMark)
            case UInt8(ascii: "\n"):
              body(fields)
              fields.removeAll(keepingCapacity: true)
            default:
              precondition(byte == UInt8(ascii: " "), "unexpected byte in the Unicode tables")
            }
          }
        }
        if let value = number { fields.append(value) }
        if !fields.isEmpty { body(fields) }
      }
    }
  }
}

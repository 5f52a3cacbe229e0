import Foundation

/// The Unicode normalization forms as the HF library computes them
/// (`unicode-normalization-alignments`, with Unicode 9.0 tables).
///
/// Characters assigned after Unicode 9.0 have no decomposition and combining class 0 there, so
/// they are left alone and block reordering and composition, as in HF. Decomposition mappings
/// come from Foundation one scalar at a time (a single scalar's full decomposition); canonical
/// ordering and composition are done here, because Foundation's whole-string forms do not reorder
/// marks around a compatibility decomposition and leave a precomposed LV syllable and a trailing
/// consonant apart.
enum UnicodeNormalization {
  enum Form: Sendable {
    case nfc, nfd, nfkc, nfkd

    var compatibility: Bool { self == .nfkc || self == .nfkd }
    var composes: Bool { self == .nfc || self == .nfkc }
  }

  /// The second scalars of canonical compositions whose combining class is 0 (besides Hangul).
  private static let starterSeconds: Set<UInt32> = [
    0x09BE, 0x09D7, 0x0B3E, 0x0B56, 0x0B57, 0x0BBE, 0x0BD7, 0x0CC2, 0x0CD5, 0x0CD6, 0x0D3E, 0x0D57,
    0x0DCF, 0x0DDF, 0x102E, 0x1B35, 0x11127, 0x1133E, 0x11357, 0x114B0, 0x114BA, 0x114BD, 0x115AF,
  ]

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
    let value = scalar.value
    if value < 0xA0 || !isKnown(scalar) { return [scalar] }
    if (0xAC00...0xD7A3).contains(value) {
      let index = value - 0xAC00
      var result = [
        Unicode.Scalar(0x1100 + index / 588)!, Unicode.Scalar(0x1161 + (index % 588) / 28)!,
      ]
      if index % 28 != 0 { result.append(Unicode.Scalar(0x11A7 + index % 28)!) }
      return result
    }
    let text = String(scalar)
    let decomposed =
      compatibility
      ? text.decomposedStringWithCompatibilityMapping : text.decomposedStringWithCanonicalMapping
    return Array(decomposed.unicodeScalars)
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
    guard combiningClass(second) != 0 || starterSeconds.contains(b), isKnown(first) else {
      return nil
    }
    var pair = String.UnicodeScalarView()
    pair.append(first)
    pair.append(second)
    let composed = String(pair).precomposedStringWithCanonicalMapping.unicodeScalars
    guard composed.count == 1, let result = composed.first, isKnown(result), result != first else {
      return nil
    }
    return result
  }

  /// Normalizes `text` to `form`; each output scalar keeps the origin of the scalar it comes
  /// from (a composite that of its first part).
  static func normalize(_ text: inout NormalizedText, form: Form) {
    if text.scalars.allSatisfy({ $0.value < 0xA0 }) { return }
    // 1. Decompose.
    var scalars: [Unicode.Scalar] = []
    var origins: [Int] = []
    scalars.reserveCapacity(text.count)
    origins.reserveCapacity(text.count)
    for (scalar, origin) in zip(text.scalars, text.origins) {
      for part in decompose(scalar, compatibility: form.compatibility) {
        scalars.append(part)
        origins.append(origin)
      }
    }
    // 2. Put each run of marks in canonical order (a stable sort by combining class).
    var classes = scalars.map(combiningClass)
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
    // 3. Compose.
    if form.composes && !scalars.isEmpty {
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
    text = NormalizedText(scalars: scalars, origins: origins)
  }
}

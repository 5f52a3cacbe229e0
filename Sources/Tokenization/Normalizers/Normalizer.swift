import StrictJSON
import SystemPackage

/// A tokenizer.json `normalizer`: rewrites the text before pre-tokenization.
indirect enum Normalizer: Sendable {
  case nfc, nfd, nfkc, nfkd
  case lowercase
  case strip(left: Bool, right: Bool)
  case stripAccents
  case replace(SplitPattern, content: [Unicode.Scalar])
  case prepend([Unicode.Scalar])
  case bert(BertNormalizer)
  case precompiled(PrecompiledCharsMap)
  case sequence([Normalizer])

  /// Reads a normalizer; `context` names it in errors ("normalizer", "normalizer.normalizers[1]").
  init(json: JSONValue, context: String, path: FilePath) throws(TokenizationError) {
    let fields = try ComponentFields(json, context: context, path: path)
    let type = fields.type
    func flag(_ key: String, _ fallback: Bool) throws(TokenizationError) -> Bool {
      try fields.flag(key, fallback)
    }
    func text(_ key: String) throws(TokenizationError) -> [Unicode.Scalar] {
      guard let value = json[key]?.string else {
        throw .malformed(path: path, what: "\(context).\(key) must be a string")
      }
      return Array(value.unicodeScalars)
    }
    switch type {
    case "NFC": self = .nfc
    case "NFD": self = .nfd
    case "NFKC": self = .nfkc
    case "NFKD": self = .nfkd
    case "Lowercase": self = .lowercase
    case "StripAccents": self = .stripAccents
    case "Strip":
      self = .strip(left: try flag("strip_left", true), right: try flag("strip_right", true))
    case "Replace":
      self = .replace(
        try SplitPattern(json: json["pattern"], context: context, path: path),
        content: try text("content"))
    case "Prepend":
      self = .prepend(try text("prepend"))
    case "BertNormalizer":
      var strip: Bool? = nil
      if let value = json["strip_accents"], !value.isNull {
        guard let flag = value.bool else {
          throw .malformed(path: path, what: "\(context).strip_accents must be a boolean or null")
        }
        strip = flag
      }
      self = .bert(
        BertNormalizer(
          cleanText: try flag("clean_text", true),
          handleChineseChars: try flag("handle_chinese_chars", true),
          stripAccents: strip, lowercase: try flag("lowercase", true)))
    case "Sequence":
      self = .sequence(
        try sequenceMember(json, "normalizers", context: context, path: path) {
          (element, context) throws(TokenizationError) in try Normalizer(json: element, context: context, path: path)
        })
    case "Precompiled":
      guard let charsmap = json["precompiled_charsmap"]?.string else {
        throw .malformed(path: path, what: "\(context).precompiled_charsmap must be a string")
      }
      self = .precompiled(try PrecompiledCharsMap(base64: charsmap, context: context, path: path))
    default:
      throw .unsupported(path: path, what: "unsupported normalizer '\(type)' in \(context)")
    }
  }

  /// Normalizes `text` in place.
  func normalize(_ text: inout NormalizedText) {
    switch self {
    case .nfc: UnicodeNormalization.normalize(&text, form: .nfc)
    case .nfd: UnicodeNormalization.normalize(&text, form: .nfd)
    case .nfkc: UnicodeNormalization.normalize(&text, form: .nfkc)
    case .nfkd: UnicodeNormalization.normalize(&text, form: .nfkd)
    case .lowercase: text.transform(UnicodeClasses.lowercased)
    case .strip(let left, let right): Self.strip(&text, left: left, right: right)
    case .stripAccents: text.filter { !UnicodeClasses.isMark($0) }
    case .replace(let pattern, let content): Self.replace(&text, pattern: pattern, content: content)
    case .prepend(let prefix): if !text.isEmpty { text.prepend(prefix) }
    case .bert(let bert): bert.normalize(&text)
    case .precompiled(let charsmap): charsmap.normalize(&text)
    case .sequence(let normalizers): for normalizer in normalizers { normalizer.normalize(&text) }
    }
  }

  /// Removes leading and trailing white space.
  static func strip(_ text: inout NormalizedText, left: Bool, right: Bool) {
    var start = 0
    var end = text.count
    if left {
      while start < end && UnicodeClasses.isWhitespace(text.scalars[start]) { start += 1 }
    }
    if right {
      while end > start && UnicodeClasses.isWhitespace(text.scalars[end - 1]) { end -= 1 }
    }
    if start != 0 || end != text.count { text = text.slice(start..<end) }
  }

  /// Replaces every match of `pattern` by `content`.
  static func replace(
    _ text: inout NormalizedText, pattern: SplitPattern, content: [Unicode.Scalar]
  ) {
    var scalars: [Unicode.Scalar] = []
    var origins: [Int] = []
    for piece in pattern.matches(in: text.scalars) {
      if piece.isMatch {
        // An empty match inserts the content (taking the origin of what follows it).
        let origin =
          piece.range.lowerBound < text.count
          ? text.origins[piece.range.lowerBound] : (text.origins.last ?? 0)
        scalars.append(contentsOf: content)
        origins.append(contentsOf: repeatElement(origin, count: content.count))
      } else {
        scalars.append(contentsOf: text.scalars[piece.range])
        origins.append(contentsOf: text.origins[piece.range])
      }
    }
    text = NormalizedText(scalars: scalars, origins: origins)
  }
}

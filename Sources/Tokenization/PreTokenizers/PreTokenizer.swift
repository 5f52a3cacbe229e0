import StrictJSON
import SystemPackage

/// A tokenizer.json `pre_tokenizer`: cuts the normalized text into the words the model sees.
indirect enum PreTokenizer: Sendable {
  case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
  case split(SplitPattern, behavior: SplitBehavior, invert: Bool)
  case metaspace(Metaspace)
  case whitespace
  case whitespaceSplit
  case punctuation(SplitBehavior)
  case digits(individual: Bool)
  case bert
  case sequence([PreTokenizer])

  /// Reads a pre-tokenizer; `context` names it in errors.
  init(json: JSONValue, context: String, path: FilePath) throws(TokenizationError) {
    let fields = try ComponentFields(json, context: context, path: path)
    let type = fields.type
    func flag(_ key: String, _ fallback: Bool) throws(TokenizationError) -> Bool {
      try fields.flag(key, fallback)
    }
    switch type {
    case "ByteLevel":
      self = .byteLevel(
        addPrefixSpace: try flag("add_prefix_space", true), useRegex: try flag("use_regex", true))
    case "Split":
      self = .split(
        try SplitPattern(json: json["pattern"], context: context, path: path),
        behavior: try SplitBehavior(json: json["behavior"], context: context, path: path),
        invert: try flag("invert", false))
    case "Metaspace":
      self = .metaspace(try Metaspace(json: json, context: context, path: path))
    case "Whitespace": self = .whitespace
    case "WhitespaceSplit": self = .whitespaceSplit
    case "BertPreTokenizer": self = .bert
    case "Punctuation":
      if let behavior = json["behavior"] {
        self = .punctuation(try SplitBehavior(json: behavior, context: context, path: path))
      } else {
        self = .punctuation(.isolated)
      }
    case "Digits":
      self = .digits(individual: try flag("individual_digits", false))
    case "Sequence":
      self = .sequence(
        try sequenceMember(json, "pretokenizers", context: context, path: path) {
          (element, context) throws(TokenizationError) in try PreTokenizer(json: element, context: context, path: path)
        })
    default:
      throw .unsupported(path: path, what: "unsupported pre-tokenizer '\(type)' in \(context)")
    }
  }

  /// Cuts every piece that is not yet a token.
  func preTokenize(_ pieces: inout [TextPiece]) {
    switch self {
    case .byteLevel(let addPrefixSpace, let useRegex):
      // Each match of GPT-2's pattern (they cover the text), in byte-level form.
      Self.splitEach(&pieces) { text in
        var text = text
        if addPrefixSpace && text.scalars.first != " " { text.prepend([" "]) }
        guard useRegex else { return [ByteLevelAlphabet.encoded(text, 0..<text.count)] }
        return CommonSplitPattern.gpt2.matches(in: text.scalars).map { ByteLevelAlphabet.encoded(text, $0) }
      }
    case .split(let pattern, let behavior, let invert):
      Self.splitEach(&pieces) { pattern.split($0, behavior: behavior, invert: invert) }
    case .metaspace(let metaspace):
      Self.splitEach(&pieces) { metaspace.split($0) }
    case .whitespace:
      Self.splitEach(&pieces, Self.whitespaceWords)
    case .whitespaceSplit:
      Self.splitEach(&pieces) {
        SplitPattern.scalarClass(UnicodeClasses.isWhitespace).split($0, behavior: .removed)
      }
    case .punctuation(let behavior):
      Self.splitEach(&pieces) {
        SplitPattern.scalarClass(UnicodeClasses.isPunctuation).split($0, behavior: behavior)
      }
    case .digits(let individual):
      Self.splitEach(&pieces) {
        SplitPattern.scalarClass(UnicodeClasses.isNumeric).split(
          $0, behavior: individual ? .isolated : .contiguous)
      }
    case .bert:
      Self.splitEach(&pieces) {
        SplitPattern.scalarClass(UnicodeClasses.isWhitespace).split($0, behavior: .removed)
      }
      Self.splitEach(&pieces) {
        SplitPattern.scalarClass(UnicodeClasses.isPunctuation).split($0, behavior: .isolated)
      }
    case .sequence(let steps):
      for step in steps { step.preTokenize(&pieces) }
    }
  }

  /// Replaces each piece that is not a token by the non-empty pieces `body` cuts it into.
  static func splitEach(_ pieces: inout [TextPiece], _ body: (NormalizedText) -> [NormalizedText]) {
    var result: [TextPiece] = []
    result.reserveCapacity(pieces.count)
    for piece in pieces {
      if piece.token != nil {
        result.append(piece)
        continue
      }
      for text in body(piece.text) where !text.isEmpty {
        result.append(TextPiece(text: text))
      }
    }
    pieces = result
  }

  /// The `Whitespace` pre-tokenizer (`\w+|[^\w\s]+`): runs of word characters and runs of other
  /// non-space characters.
  static func whitespaceWords(_ text: NormalizedText) -> [NormalizedText] {
    var result: [NormalizedText] = []
    var index = 0
    let scalars = text.scalars
    while index < scalars.count {
      let scalar = scalars[index]
      if UnicodeClasses.isWordCharacter(scalar) {
        var end = index + 1
        while end < scalars.count && UnicodeClasses.isWordCharacter(scalars[end]) { end += 1 }
        result.append(text.slice(index..<end))
        index = end
      } else if !UnicodeClasses.isWhitespace(scalar) {
        var end = index + 1
        while end < scalars.count && !UnicodeClasses.isWordCharacter(scalars[end])
          && !UnicodeClasses.isWhitespace(scalars[end])
        {
          end += 1
        }
        result.append(text.slice(index..<end))
        index = end
      } else {
        index += 1
      }
    }
    return result
  }
}

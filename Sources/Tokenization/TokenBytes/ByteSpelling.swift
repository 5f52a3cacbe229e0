import StrictJSON

/// How a tokenizer.json spells bytes in its vocabulary's token strings, read from its decoder
/// (or, without one, its pre-tokenizer, normalizer and model): the byte-level alphabet, scalars
/// that stand for other text (Metaspace's `▁` for a space, a `Replace` decoder's pattern),
/// byte-fallback pieces `<0xNN>`, and WordPiece's continuation prefix.
public struct ByteSpelling: Sendable, Equatable {
  /// Whether token strings are in GPT-2's byte-level alphabet (`Ġ` = space).
  public var byteLevel = false
  /// Scalars that stand for other text (`▁` → space).
  public var replacements: [Unicode.Scalar: String] = [:]
  /// Whether `<0x00>`…`<0xFF>` stand for one byte each.
  public var byteFallback = false
  /// WordPiece's continuation prefix (`##`), or `nil` for a model that is not WordPiece.
  public var continuationPrefix: String?

  /// A spelling with nothing special: token strings are their UTF-8 text.
  public init() {}

  /// The spelling of a parsed tokenizer.json. Tolerant: components it does not know are ignored.
  public init(tokenizerJSON json: JSONValue) {
    let model = json["model"]
    if model?["type"]?.string == "WordPiece" {
      continuationPrefix = model?["continuing_subword_prefix"]?.string ?? "##"
    }
    byteFallback = model?["byte_fallback"]?.bool ?? false
    if let decoder = json["decoder"], !decoder.isNull {
      readDecoder(decoder)
    } else {
      if let preTokenizer = json["pre_tokenizer"], !preTokenizer.isNull { readPreTokenizer(preTokenizer) }
      if let normalizer = json["normalizer"], !normalizer.isNull { readNormalizer(normalizer) }
    }
  }

  private mutating func readDecoder(_ decoder: JSONValue) {
    switch decoder["type"]?.string {
    case "ByteLevel": byteLevel = true
    case "Metaspace": replacements[Self.replacement(decoder)] = " "
    case "Replace":
      if let pattern = decoder["pattern"]?["String"]?.string, let content = decoder["content"]?.string,
        let scalar = Self.single(pattern)
      {
        replacements[scalar] = content
      }
    case "ByteFallback": byteFallback = true
    case "WordPiece": continuationPrefix = decoder["prefix"]?.string ?? continuationPrefix ?? "##"
    case "Sequence": for step in decoder["decoders"]?.elements ?? [] { readDecoder(step) }
    default: break
    }
  }

  private mutating func readPreTokenizer(_ preTokenizer: JSONValue) {
    switch preTokenizer["type"]?.string {
    case "ByteLevel": byteLevel = true
    case "Metaspace": replacements[Self.replacement(preTokenizer)] = " "
    case "Sequence": for step in preTokenizer["pretokenizers"]?.elements ?? [] { readPreTokenizer(step) }
    default: break
    }
  }

  /// A normalizer's `Replace` of a string by one scalar is undone: the scalar stands for the string.
  private mutating func readNormalizer(_ normalizer: JSONValue) {
    switch normalizer["type"]?.string {
    case "Replace":
      if let pattern = normalizer["pattern"]?["String"]?.string, let content = normalizer["content"]?.string,
        let scalar = Self.single(content)
      {
        replacements[scalar] = pattern
      }
    case "Sequence": for step in normalizer["normalizers"]?.elements ?? [] { readNormalizer(step) }
    default: break
    }
  }

  private static func replacement(_ component: JSONValue) -> Unicode.Scalar {
    component["replacement"]?.string.flatMap(single) ?? "\u{2581}"
  }

  private static func single(_ text: String) -> Unicode.Scalar? {
    let scalars = text.unicodeScalars
    return scalars.count == 1 ? scalars.first : nil
  }

  /// What a token string of the model's vocabulary stands for, and whether it is a byte-fallback
  /// piece.
  ///
  /// - Complexity: O(*m*) in the token's length.
  public func bytes(ofModelToken text: String) -> (bytes: TokenBytes, isByteFallback: Bool) {
    if byteFallback, let byte = Self.fallbackByte(text) {
      return (TokenBytes(bytes: [byte]), true)
    }
    var scalars = Substring(text).unicodeScalars[...]
    var position = TokenBytes.Position.anywhere
    if let prefix = continuationPrefix {
      position = .wordStart
      if !prefix.isEmpty, scalars.starts(with: prefix.unicodeScalars), scalars.count > prefix.unicodeScalars.count {
        scalars = scalars.dropFirst(prefix.unicodeScalars.count)
        position = .continuation
      }
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count)
    for scalar in scalars {
      if byteLevel, let byte = ByteLevelAlphabet.byte(of: scalar) {
        bytes.append(byte)
      } else if let replacement = replacements[scalar] {
        bytes.append(contentsOf: replacement.utf8)
      } else {
        bytes.append(contentsOf: String(scalar).utf8)
      }
    }
    return (TokenBytes(bytes: bytes, position: position), false)
  }

  /// What an added token's content stands for: its UTF-8 bytes (added tokens are matched in the
  /// raw text, not spelled in the model's alphabet).
  public func bytes(ofAddedContent content: String) -> TokenBytes {
    TokenBytes(bytes: Array(content.utf8), position: continuationPrefix == nil ? .anywhere : .wordStart)
  }

  /// `bytes` in GPT-2's byte-level alphabet (`" "` → `Ġ`).
  public static func byteLevelText(of bytes: [UInt8]) -> String {
    var text = String.UnicodeScalarView()
    for byte in bytes { text.append(ByteLevelAlphabet.scalars[Int(byte)]) }
    return String(text)
  }

  /// The byte of a `<0xNN>` piece (two upper- or lower-case hex digits), or `nil`.
  static func fallbackByte(_ text: String) -> UInt8? {
    let utf8 = Array(text.utf8)
    guard utf8.count == 6, utf8[0] == UInt8(ascii: "<"), utf8[1] == UInt8(ascii: "0"), utf8[2] == UInt8(ascii: "x"),
      utf8[5] == UInt8(ascii: ">"), let high = hexDigit(utf8[3]), let low = hexDigit(utf8[4])
    else { return nil }
    return high << 4 | low
  }

  private static func hexDigit(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    default: nil
    }
  }
}

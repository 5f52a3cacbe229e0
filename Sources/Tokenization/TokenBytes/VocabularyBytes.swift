import StrictJSON

/// What every token of a tokenizer.json stands for (``TokenBytes``), read with the file's
/// ``ByteSpelling``: the model's tokens in its alphabet, added tokens as their raw content.
public struct VocabularyBytes: Sendable {
  /// One token and what it stands for.
  public struct Entry: Sendable, Equatable {
    /// The token (an added token's content, else the model's token string).
    public var token: Token
    /// What it stands for.
    public var bytes: TokenBytes
    /// Whether it is a byte-fallback piece `<0xNN>`.
    public var isByteFallback: Bool
    /// Its `added_tokens` entry, when it is an added token.
    public var added: AddedToken?
  }

  /// How the file spells bytes.
  public let spelling: ByteSpelling
  /// The entries by id (`nil` for ids without a token).
  private let entries: [Entry?]

  /// Reads what every token of `vocabulary` (read from `json`) stands for.
  ///
  /// - Complexity: O(*n*) in the total length of the tokens.
  public init(json: JSONValue, vocabulary: TokenizerVocabulary) {
    let spelling = ByteSpelling(tokenizerJSON: json)
    self.spelling = spelling
    var entries = [Entry?](repeating: nil, count: vocabulary.size)
    for id in 0..<vocabulary.size {
      guard let entry = vocabulary.entry(for: id) else { continue }
      if let added = entry.added {
        entries[id] = Entry(
          token: entry.token, bytes: spelling.bytes(ofAddedContent: added.content), isByteFallback: false,
          added: added)
      } else {
        let (bytes, fallback) = spelling.bytes(ofModelToken: entry.token.text)
        entries[id] = Entry(token: entry.token, bytes: bytes, isByteFallback: fallback, added: nil)
      }
    }
    self.entries = entries
  }

  /// The largest id plus one.
  public var size: Int { entries.count }

  /// The token with `id` and what it stands for, or `nil`.
  public func entry(for id: Int) -> Entry? {
    id >= 0 && id < entries.count ? entries[id] : nil
  }

  /// The token standing for each single byte, by byte value: a regular one-byte token first (a
  /// byte-level `Ġ`), else the byte-fallback piece; `nil` where the vocabulary has neither.
  ///
  /// - Complexity: O(*n*) in the number of tokens.
  public var byteTokenIDs: [Int?] {
    var regular = [Int?](repeating: nil, count: 256)
    var fallback = [Int?](repeating: nil, count: 256)
    for case let entry? in entries
    where entry.added == nil && entry.bytes.bytes.count == 1
      && entry.bytes.position != .continuation
    {
      let byte = Int(entry.bytes.bytes[0])
      if entry.isByteFallback {
        if fallback[byte] == nil { fallback[byte] = entry.token.id }
      } else if regular[byte] == nil {
        regular[byte] = entry.token.id
      }
    }
    return (0..<256).map { regular[$0] ?? fallback[$0] }
  }
}

import Tokenization

/// Which base row each donor token takes: matched tokens take a base row as it is, the others are
/// approximated.
///
/// - Regular tokens match by what they stand for (``TokenBytes``: bytes and position); where the
///   base has several tokens standing for the same bytes, a token with the donor token's own
///   string wins, then a regular token over a byte-fallback piece (a donor's byte-fallback piece
///   takes the base's piece for that byte when there is one), then the lowest id.
/// - Special tokens (added as special, or holding a ``SpecialRole`` in the donor's files) and
///   other added tokens match by content first (a base token with the same text), then special
///   tokens by role (Llama-3's `<|begin_of_text|>` takes Gemma's `<bos>` row); an added token
///   that is not special then matches by bytes.
public struct TokenMatching: Sendable {
  /// How a donor token was matched.
  public enum Kind: String, Sendable, Encodable {
    /// By its bytes.
    case bytes
    /// By its content (a base token with the same text).
    case content
    /// By its role.
    case role
  }

  /// The match of a donor token.
  public struct Match: Sendable, Equatable {
    /// The base id whose rows it takes.
    public var baseID: Int
    /// How.
    public var kind: Kind

    /// A match with the base id `baseID`, found by `kind`.
    public init(baseID: Int, kind: Kind) {
      self.baseID = baseID
      self.kind = kind
    }
  }

  /// A special token of the donor and what became of it.
  public struct SpecialToken: Sendable, Equatable {
    /// The donor's token.
    public var token: Token
    /// Its role in the donor's files, when it has one.
    public var role: SpecialRole?
    /// Its match, or `nil` when it is approximated.
    public var match: Match?
  }

  /// The match of each donor id below the donor tokenizer's size (`nil`: approximated, or an id
  /// without a token).
  public let matches: [Match?]
  /// The donor's special tokens, in id order.
  public let specialTokens: [SpecialToken]

  /// Matches the donor's tokens to the base's.
  ///
  /// - Parameters:
  ///   - baseRows: the base embedding's rows (a base id past them is never taken).
  /// - Complexity: O(*n* + *m*) in the sizes of the two vocabularies (their total bytes).
  package init(
    donor: VocabularyBytes, donorRoles: SpecialRoles, base: VocabularyBytes, baseVocabulary: TokenizerVocabulary,
    baseRoles: SpecialRoles, baseRows: Int
  ) {
    // Base tokens by what they stand for; special tokens and tokens with a role are not text.
    var index: [TokenBytes: [Int]] = [:]
    index.reserveCapacity(base.size)
    for id in 0..<min(base.size, baseRows) {
      guard let entry = base.entry(for: id), !entry.bytes.bytes.isEmpty, entry.added?.special != true,
        baseRoles.role(of: id) == nil
      else { continue }
      index[entry.bytes, default: []].append(id)
    }
    func isFallback(_ id: Int) -> Bool { base.entry(for: id)?.isByteFallback ?? false }
    func byBytes(_ entry: VocabularyBytes.Entry) -> Int? {
      guard let candidates = index[entry.bytes] else { return nil }
      if let same = candidates.first(where: {
        isFallback($0) == entry.isByteFallback
          && base.entry(for: $0)?.token.text.utf8.elementsEqual(entry.token.text.utf8) == true
      }) {
        return same
      }
      if entry.isByteFallback, let piece = candidates.first(where: isFallback) { return piece }
      return candidates.first { !isFallback($0) } ?? candidates.first
    }
    func byContent(_ text: String) -> Int? {
      baseVocabulary.id(of: text).flatMap { $0 < baseRows ? $0 : nil }
    }
    var matches = [Match?](repeating: nil, count: donor.size)
    var specials: [SpecialToken] = []
    for id in 0..<donor.size {
      guard let entry = donor.entry(for: id) else { continue }
      let role = donorRoles.role(of: id)
      let special = entry.added?.special == true || role != nil
      if special || entry.added != nil, let baseID = byContent(entry.token.text) {
        matches[id] = Match(baseID: baseID, kind: .content)
      } else if special, let role, let baseID = baseRoles.id(of: role), baseID < baseRows {
        matches[id] = Match(baseID: baseID, kind: .role)
      } else if !special, let baseID = byBytes(entry) {
        matches[id] = Match(baseID: baseID, kind: .bytes)
      }
      if special { specials.append(SpecialToken(token: entry.token, role: role, match: matches[id])) }
    }
    self.matches = matches
    self.specialTokens = specials
  }

  /// The number of tokens matched by `kind`.
  public func count(_ kind: Kind) -> Int {
    matches.reduce(0) { $0 + ($1?.kind == kind ? 1 : 0) }
  }
}

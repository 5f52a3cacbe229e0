import Tokenization

/// The `diff --json` document (one object; keys in this order):
///
/// - `schema_version`; `a`, `b`: the paths; `identical`: whether nothing differs (exit status 0,
///   else 3);
/// - `added`, `removed`: tokens `{id, token, added}` where `added` is the `added_tokens` entry's
///   flags `{special, normalized, lstrip, rstrip, single_word}` or null for a vocabulary token;
/// - `renamed`: `{id, before, after}` (tokens as above); `moved`: `{token, before, after}` (ids);
/// - `flags_changed`: `{id, token, changes: [{flag, before, after}]}`, `before`/`after` null when
///   the token is not an added token on that side;
/// - `vocab_size`: `{a, b}` from the config.json files, or null when not both sides have one;
/// - `matrices`: per role (`embedding`, `head`): `a`, `b` (``MatrixDescription`` or null),
///   `compared_rows`, `differing_rows` (count), `differing_ranges` (inclusive `[first, last]`
///   runs), `max_abs_diff` and `max_abs_diff_row` (null when no row differs; the difference is
///   null when a NaN or an infinity is involved), `rows` (`{id, max_abs_diff}` ascending by id,
///   at most ``jsonRowLimit``: the largest), `rows_truncated`, `added_rows` and `removed_rows`
///   (`[first, last]` or null), `problem` (why rows were not compared, or null);
/// - `notes`: what could not be compared.
extension CheckpointDiff {
  /// Differing rows listed in ``json`` at most (the largest differences are kept).
  public static let jsonRowLimit = 1000

  enum CodingKeys: String, CodingKey {
    case a, b, identical, added, removed, renamed, moved
    case flagsChanged = "flags_changed"
    case vocabularySize = "vocab_size"
    case matrices, notes
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(a, forKey: .a)
    try container.encode(b, forKey: .b)
    try container.encode(isIdentical, forKey: .identical)
    try container.encode(added.map(TokenEntry.init), forKey: .added)
    try container.encode(removed.map(TokenEntry.init), forKey: .removed)
    try container.encode(renamed, forKey: .renamed)
    try container.encode(moved, forKey: .moved)
    try container.encode(flagsChanged, forKey: .flagsChanged)
    try container.encodeIfPresent(vocabularySize, forKey: .vocabularySize)
    try container.encode(matrices, forKey: .matrices)
    try container.encode(notes, forKey: .notes)
  }

  /// A token of either side; JSON `{"id", "token", "added": flags or null}`.
  struct TokenEntry: Encodable {
    var id: Int
    var token: String
    var added: AddedFlags?

    init(_ entry: TokenizerVocabulary.Entry) {
      id = entry.token.id
      token = entry.token.text
      added = entry.added.map(AddedFlags.init)
    }

    func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(id, forKey: .id)
      try container.encode(token, forKey: .token)
      try container.encodeIfPresent(added, forKey: .added)
    }

    enum CodingKeys: String, CodingKey { case id, token, added }
  }

  /// An added token's flags; JSON `{"special", "normalized", "lstrip", "rstrip", "single_word"}`.
  struct AddedFlags: Encodable {
    var special, normalized, lstrip, rstrip, singleWord: Bool

    init(_ token: AddedToken) {
      special = token.special
      normalized = token.normalized
      lstrip = token.lstrip
      rstrip = token.rstrip
      singleWord = token.singleWord
    }

    enum CodingKeys: String, CodingKey {
      case special, normalized, lstrip, rstrip
      case singleWord = "single_word"
    }
  }
}

extension CheckpointDiff.Renamed: Encodable {
  enum CodingKeys: String, CodingKey { case id, before, after }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(id, forKey: .id)
    try container.encode(CheckpointDiff.TokenEntry(before), forKey: .before)
    try container.encode(CheckpointDiff.TokenEntry(after), forKey: .after)
  }
}

extension CheckpointDiff.MatrixDiff: Encodable {
  enum CodingKeys: String, CodingKey {
    case role, a, b
    case comparedRows = "compared_rows"
    case differingRows = "differing_rows"
    case differingRanges = "differing_ranges"
    case maxAbsDifference = "max_abs_diff"
    case maxAbsDifferenceRow = "max_abs_diff_row"
    case rows
    case rowsTruncated = "rows_truncated"
    case addedRows = "added_rows"
    case removedRows = "removed_rows"
    case problem
  }

  /// The rows `--json` lists: all, or the ``CheckpointDiff/jsonRowLimit`` largest, by id.
  var listedRows: [CheckpointDiff.DifferingRow] {
    guard rows.count > CheckpointDiff.jsonRowLimit else { return rows }
    let largest = rows.sorted { $0.maxAbsDifference > $1.maxAbsDifference }.prefix(CheckpointDiff.jsonRowLimit)
    return largest.sorted { $0.id < $1.id }
  }

  public func encode(to encoder: any Encoder) throws {
    func span(_ range: Range<Int>?) -> [Int]? {
      guard let range, !range.isEmpty else { return nil }
      return [range.lowerBound, range.upperBound - 1]
    }
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(role, forKey: .role)
    try container.encodeIfPresent(a, forKey: .a)
    try container.encodeIfPresent(b, forKey: .b)
    try container.encode(comparedRows, forKey: .comparedRows)
    try container.encode(rows.count, forKey: .differingRows)
    try container.encode(IDRanges(rows.map(\.id)), forKey: .differingRanges)
    try container.encodeIfPresent(largest?.maxAbsDifference, forKey: .maxAbsDifference)
    try container.encodeIfPresent(largest?.id, forKey: .maxAbsDifferenceRow)
    try container.encode(listedRows, forKey: .rows)
    try container.encode(rows.count > CheckpointDiff.jsonRowLimit, forKey: .rowsTruncated)
    try container.encodeIfPresent(span(addedRows), forKey: .addedRows)
    try container.encodeIfPresent(span(removedRows), forKey: .removedRows)
    try container.encodeIfPresent(problem, forKey: .problem)
  }
}

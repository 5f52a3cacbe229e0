import StrictJSON
import Tokenization

extension CheckpointDiff {
  /// Differing rows listed in ``json`` at most (the largest differences are kept).
  public static let jsonRowLimit = 1000

  /// The `diff --json` document (one object; keys in this order):
  ///
  /// - `a`, `b`: the paths; `identical`: whether nothing differs (exit status 0, else 3);
  /// - `added`, `removed`: tokens `{id, token, added}` where `added` is the `added_tokens` entry's
  ///   flags `{special, normalized, lstrip, rstrip, single_word}` or null for a vocabulary token;
  /// - `renamed`: `{id, before, after}` (tokens as above); `moved`: `{token, before, after}` (ids);
  /// - `flags_changed`: `{id, token, changes: [{flag, before, after}]}`, `before`/`after` null when
  ///   the token is not an added token on that side;
  /// - `vocab_size`: `{a, b}` from the config.json files, or null when not both sides have one;
  /// - `matrices`: per role (`embedding`, `head`): `a`, `b` (``MatrixDescription/json``:
  ///   `{name, rows, dim, dtype}`, or null),
  ///   `compared_rows`, `differing_rows` (count), `differing_ranges` (inclusive `[first, last]`
  ///   runs), `max_abs_diff` and `max_abs_diff_row` (null when no row differs; the difference is
  ///   null when a NaN or an infinity is involved), `rows` (`{id, max_abs_diff}` ascending by id,
  ///   at most ``jsonRowLimit``: the largest), `rows_truncated`, `added_rows` and `removed_rows`
  ///   (`[first, last]` or null), `problem` (why rows were not compared, or null);
  /// - `notes`: what could not be compared.
  public var json: JSONValue {
    func number(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }
    func real(_ value: Double) -> JSONValue { JSONNumber(value).map { .number($0) } ?? .null }
    func flag(_ value: Bool?) -> JSONValue { value.map { .bool($0) } ?? .null }
    func token(_ entry: TokenizerVocabulary.Entry) -> JSONValue {
      .object([
        JSONMember("id", number(entry.token.id)), JSONMember("token", .string(entry.token.text)),
        JSONMember(
          "added",
          entry.added.map { added in
            .object([
              JSONMember("special", .bool(added.special)), JSONMember("normalized", .bool(added.normalized)),
              JSONMember("lstrip", .bool(added.lstrip)), JSONMember("rstrip", .bool(added.rstrip)),
              JSONMember("single_word", .bool(added.singleWord)),
            ])
          } ?? .null),
      ])
    }
    func shape(_ matrix: MatrixDescription?) -> JSONValue { matrix?.json ?? .null }
    func span(_ range: Range<Int>?) -> JSONValue {
      guard let range, !range.isEmpty else { return .null }
      return .array([number(range.lowerBound), number(range.upperBound - 1)])
    }
    return .object([
      JSONMember("a", .string(a)), JSONMember("b", .string(b)), JSONMember("identical", .bool(isIdentical)),
      JSONMember("added", .array(added.map(token))),
      JSONMember("removed", .array(removed.map(token))),
      JSONMember(
        "renamed",
        .array(
          renamed.map {
            .object([
              JSONMember("id", number($0.id)), JSONMember("before", token($0.before)),
              JSONMember("after", token($0.after)),
            ])
          })),
      JSONMember(
        "moved",
        .array(
          moved.map {
            .object([
              JSONMember("token", .string($0.text)), JSONMember("before", number($0.before)),
              JSONMember("after", number($0.after)),
            ])
          })),
      JSONMember(
        "flags_changed",
        .array(
          flagsChanged.map { change in
            .object([
              JSONMember("id", number(change.id)), JSONMember("token", .string(change.text)),
              JSONMember(
                "changes",
                .array(
                  change.changes.map {
                    .object([
                      JSONMember("flag", .string($0.flag)), JSONMember("before", flag($0.before)),
                      JSONMember("after", flag($0.after)),
                    ])
                  })),
            ])
          })),
      JSONMember(
        "vocab_size",
        vocabularySize.map { sizes in
          .object([JSONMember("a", sizes.a.map(number) ?? .null), JSONMember("b", sizes.b.map(number) ?? .null)])
        } ?? .null),
      JSONMember(
        "matrices",
        .array(
          matrices.map { matrix in
            var listed = matrix.rows
            let truncated = listed.count > CheckpointDiff.jsonRowLimit
            if truncated {
              listed = Array(
                listed.sorted { $0.maxAbsDifference > $1.maxAbsDifference }.prefix(CheckpointDiff.jsonRowLimit))
              listed.sort { $0.id < $1.id }
            }
            let largest = matrix.largest
            return .object([
              JSONMember("role", .string(matrix.role.rawValue)),
              JSONMember("a", shape(matrix.a)), JSONMember("b", shape(matrix.b)),
              JSONMember("compared_rows", number(matrix.comparedRows)),
              JSONMember("differing_rows", number(matrix.rows.count)),
              JSONMember("differing_ranges", IDRanges(matrix.rows.map(\.id)).json),
              JSONMember("max_abs_diff", largest.map { real($0.maxAbsDifference) } ?? .null),
              JSONMember("max_abs_diff_row", largest.map { number($0.id) } ?? .null),
              JSONMember(
                "rows",
                .array(
                  listed.map {
                    .object([JSONMember("id", number($0.id)), JSONMember("max_abs_diff", real($0.maxAbsDifference))])
                  })),
              JSONMember("rows_truncated", .bool(truncated)),
              JSONMember("added_rows", span(matrix.addedRows)),
              JSONMember("removed_rows", span(matrix.removedRows)),
              JSONMember("problem", matrix.problem.map { .string($0) } ?? .null),
            ])
          })),
      JSONMember("notes", .array(notes.map { .string($0) })),
    ])
  }
}

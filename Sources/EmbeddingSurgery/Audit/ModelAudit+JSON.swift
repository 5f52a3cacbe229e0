import StrictJSON

extension ModelAudit {
  /// The `audit --json` document (one object; keys in this order):
  ///
  /// - `model`, `tokenizer` (path or null), `vocabulary_size` (tokenizer's largest id + 1, or null);
  /// - `reserved`: `{count, ranges}` — the placeholder tokens' ids as inclusive `[first, last]` runs;
  /// - `thresholds`: `{robust_z, low_quantile, cosine}`;
  /// - `matrices`: one object per matrix (embedding, then the untied head): `role`, then the
  ///   matrix's description (``MatrixDescription/json``: `name`, `rows`, `dim`, `dtype`), `norms` (`{count, min, p1, p5, p50, p95, p99, max}` over rows with a
  ///   finite norm, or null), `low_norm_statistics` (`{median_log_norm, mad_log_norm,
  ///   low_quantile_norm}` or null), `reserved_mean` (`{rows, norm}`: how many reserved and unused rows
  ///   were averaged and the mean's norm, or null when the cosine check did not run), `flagged` (for
  ///   each finding — `zero`, `nonfinite`, `low_norm`, `duplicate`, `near_reserved_mean` — the
  ///   ascending ids), `duplicate_groups` (arrays of ids);
  /// - `flagged_rows`: ``FlaggedRow/json`` per flagged row (`{id, token, where, embedding, head}`,
  ///   `where` being `embedding`, `head` or `both`);
  /// - `tokens_without_row`: `{id, token}` for each token whose id is past the last row;
  /// - `unused_rows`: `{count, ranges}` — rows no token uses (informational);
  /// - `notes`: strings; `findings`: whether anything is flagged (exit status 3).
  public var json: JSONValue {
    func number(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }
    func real(_ value: Double?) -> JSONValue { value.flatMap { JSONNumber($0) }.map { .number($0) } ?? .null }
    func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
    func ids(_ values: [Int]) -> JSONValue { .array(values.map(number)) }
    let reserved = IDRanges(reservedIDs)
    let matrices = [embedding] + (head.map { [$0] } ?? [])
    return .object([
      JSONMember("model", .string(model)),
      JSONMember("tokenizer", text(tokenizerPath)),
      JSONMember("vocabulary_size", vocabularySize.map(number) ?? .null),
      JSONMember(
        "reserved", .object([JSONMember("count", number(reserved.count)), JSONMember("ranges", reserved.json)])),
      JSONMember(
        "thresholds",
        .object([
          JSONMember("robust_z", real(RowAuditRules.robustZThreshold)),
          JSONMember("low_quantile", real(RowAuditRules.lowQuantile)),
          JSONMember("cosine", real(RowAuditRules.cosineThreshold)),
        ])),
      JSONMember(
        "matrices",
        .array(
          matrices.map { matrix in
            .object(
              [JSONMember("role", .string(matrix.role.rawValue))] + matrix.matrix.jsonMembers + [
                JSONMember(
                  "norms",
                  matrix.norms.map { summary in
                    .object(
                      [JSONMember("count", number(summary.count))] + summary.named.map { JSONMember($0.0, real($0.1)) })
                  } ?? .null),
                JSONMember(
                  "low_norm_statistics",
                  matrix.lowNorm.map { statistics in
                    .object([
                      JSONMember("median_log_norm", real(statistics.medianLogNorm)),
                      JSONMember("mad_log_norm", real(statistics.madLogNorm)),
                      JSONMember("low_quantile_norm", real(statistics.lowQuantileNorm)),
                    ])
                  } ?? .null),
                JSONMember(
                  "reserved_mean",
                  matrix.reservedMeanNorm.map { norm in
                    .object([JSONMember("rows", number(matrix.reservedRowsAveraged)), JSONMember("norm", real(norm))])
                  } ?? .null),
                JSONMember(
                  "flagged", .object(RowFinding.allCases.map { JSONMember($0.rawValue, ids(matrix.rows(flagged: $0))) })
                ),
                JSONMember("duplicate_groups", .array(matrix.duplicateGroups.map(ids))),
              ])
          })),
      JSONMember(
        "flagged_rows",
        .array(flaggedRows.map(\.json))),
      JSONMember(
        "tokens_without_row",
        .array(tokensWithoutRow.map { .object([JSONMember("id", number($0.id)), JSONMember("token", text($0.text))]) })),
      JSONMember(
        "unused_rows", .object([JSONMember("count", number(unusedRows.count)), JSONMember("ranges", unusedRows.json)])),
      JSONMember("notes", .array(notes.map { .string($0) })),
      JSONMember("findings", .bool(hasFindings)),
    ])
  }
}

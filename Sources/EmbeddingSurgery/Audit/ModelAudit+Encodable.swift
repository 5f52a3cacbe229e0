import StrictJSON

/// The `audit --json` document (one object; keys in this order):
///
/// - `schema_version`; `model`, `tokenizer` (path or null), `vocabulary_size` (tokenizer's largest
///   id + 1, or null);
/// - `reserved`: `{count, ranges}` — the placeholder tokens' ids as inclusive `[first, last]` runs;
/// - `thresholds`: `{robust_z, low_quantile, cosine}`;
/// - `matrices`: one object per matrix (embedding, then the untied head): `role`, then the
///   matrix's ``MatrixDescription`` members (`name`, `rows`, `dim`, `dtype`), `norms` (`{count,
///   min, p1, p5, p50, p95, p99, max}` over rows with a finite norm, or null),
///   `low_norm_statistics` (`{median_log_norm, mad_log_norm, low_quantile_norm}` or null),
///   `reserved_mean` (`{rows, norm}`: how many reserved and unused rows were averaged and the
///   mean's norm, or null when the cosine check did not run), `flagged` (for each finding —
///   `zero`, `nonfinite`, `low_norm`, `duplicate`, `near_reserved_mean` — the ascending ids),
///   `duplicate_groups` (arrays of ids);
/// - `flagged_rows`: ``FlaggedRow`` per flagged row (`{id, token, where, embedding, head}`);
/// - `tokens_without_row`: `{id, token}` for each token whose id is past the last row;
/// - `unused_rows`: `{count, ranges}` — rows no token uses (informational);
/// - `notes`: strings; `findings`: whether anything is flagged (exit status 3).
extension ModelAudit {
  enum CodingKeys: String, CodingKey {
    case model
    case tokenizer = "tokenizer"
    case vocabularySize = "vocabulary_size"
    case reserved, thresholds, matrices
    case flaggedRows = "flagged_rows"
    case tokensWithoutRow = "tokens_without_row"
    case unusedRows = "unused_rows"
    case notes
    case findings
  }

  /// The thresholds of the rules; JSON `{"robust_z", "low_quantile", "cosine"}`.
  struct Thresholds: Encodable {
    var robustZ = RowAuditRules.robustZThreshold
    var lowQuantile = RowAuditRules.lowQuantile
    var cosine = RowAuditRules.cosineThreshold

    enum CodingKeys: String, CodingKey {
      case robustZ = "robust_z"
      case lowQuantile = "low_quantile"
      case cosine
    }
  }

  /// A token's id and text; JSON `{"id", "token"}`.
  struct TokenEntry: Encodable {
    var id: Int
    var token: String
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(model, forKey: .model)
    try container.encodeIfPresent(tokenizerPath, forKey: .tokenizer)
    try container.encodeIfPresent(vocabularySize, forKey: .vocabularySize)
    try container.encode(CountedIDRanges(IDRanges(reservedIDs)), forKey: .reserved)
    try container.encode(Thresholds(), forKey: .thresholds)
    try container.encode([embedding] + (head.map { [$0] } ?? []), forKey: .matrices)
    try container.encode(flaggedRows, forKey: .flaggedRows)
    try container.encode(tokensWithoutRow.map { TokenEntry(id: $0.id, token: $0.text) }, forKey: .tokensWithoutRow)
    try container.encode(CountedIDRanges(unusedRows), forKey: .unusedRows)
    try container.encode(notes, forKey: .notes)
    try container.encode(hasFindings, forKey: .findings)
  }
}

extension ModelAudit.MatrixAudit: Encodable {
  enum CodingKeys: String, CodingKey {
    case role, norms
    case lowNorm = "low_norm_statistics"
    case reservedMean = "reserved_mean"
    case flagged
    case duplicateGroups = "duplicate_groups"
  }

  /// The mean of the reserved rows; JSON `{"rows", "norm"}`.
  struct ReservedMean: Encodable {
    var rows: Int
    var norm: Double
  }

  /// `role`, the matrix's description, then the findings.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(role, forKey: .role)
    try matrix.encode(to: encoder)
    try container.encodeIfPresent(norms, forKey: .norms)
    try container.encodeIfPresent(lowNorm, forKey: .lowNorm)
    try container.encodeIfPresent(
      reservedMeanNorm.map { ReservedMean(rows: reservedRowsAveraged, norm: $0) }, forKey: .reservedMean)
    var flagged = container.nestedContainer(keyedBy: JSONCodingKey.self, forKey: .flagged)
    for finding in RowFinding.allCases {
      try flagged.encode(rows(flagged: finding), forKey: JSONCodingKey(stringValue: finding.rawValue))
    }
    try container.encode(duplicateGroups, forKey: .duplicateGroups)
  }
}

/// Ids as `{"count", "ranges": [[first, last], ...]}`.
struct CountedIDRanges: Encodable {
  var count: Int
  var ranges: IDRanges

  init(_ ranges: IDRanges) {
    count = ranges.count
    self.ranges = ranges
  }
}

import SafeTensors
import StrictJSON
import Tokenization

/// `embsurgery audit`: per-row statistics of a checkpoint's embedding and untied head, and the
/// rows that look untrained or broken (all zero, NaN or Inf, norm far below the rest, exact
/// duplicates, close to the mean of the reserved placeholder rows and the rows no token uses), the
/// tokens that have no row,
/// and the rows no token uses.
///
/// Each matrix is streamed in windows whose pages are released (two passes when the cosine check
/// runs), so memory holds O(rows) scalars, not the matrix.
public struct ModelAudit: SurgeryReport {
  /// L2 norm order statistics over the rows whose norm is finite (all-zero rows included),
  /// quantiles interpolated as numpy's default.
  public struct NormSummary: Encodable, Sendable, Equatable {
    /// Rows counted.
    public var count: Int
    public var min: Double
    public var p1: Double
    public var p5: Double
    public var p50: Double
    public var p95: Double
    public var p99: Double
    public var max: Double

    /// The values in report order, with their names.
    public var named: [(String, Double)] {
      [("min", min), ("p1", p1), ("p5", p5), ("p50", p50), ("p95", p95), ("p99", p99), ("max", max)]
    }
  }

  /// The findings for one matrix.
  public struct MatrixAudit: Sendable {
    /// Embedding or head.
    public var role: MatrixRole
    /// The matrix.
    public var matrix: MatrixDescription
    /// Norm statistics (`nil` when no row has a finite norm).
    public var norms: NormSummary?
    /// The robust statistics of the low-norm rule (`nil` when it could not run).
    public var lowNorm: RowAuditRules.LowNormStatistics?
    /// How many reserved placeholder rows and rows no token uses (not zero, finite) were averaged
    /// for the cosine check (0 when it did not run).
    public var reservedRowsAveraged: Int
    /// The norm of that mean, when the cosine check ran.
    public var reservedMeanNorm: Double?
    /// Groups of rows with identical bytes.
    public var duplicateGroups: [[Int]]
    /// The findings of each flagged row, by id.
    public var findings: [Int: Set<RowFinding>]

    /// The ids flagged with `finding`, ascending.
    public func rows(flagged finding: RowFinding) -> [Int] {
      findings.filter { $0.value.contains(finding) }.keys.sorted()
    }
  }

  /// The path audited.
  public let model: String
  /// The tokenizer's vocabulary.
  let vocabulary: TokenizerVocabulary?
  /// The tokenizer.json read, when there is one.
  public let tokenizerPath: String?
  /// The tokenizer's size (largest id plus one), when there is a tokenizer.
  public let vocabularySize: Int?
  /// The ids of the reserved placeholder tokens (see ``ReservedTokenPattern``).
  public let reservedIDs: [Int]
  /// The embedding's findings.
  public let embedding: MatrixAudit
  /// The untied head's findings (`nil` when the head is tied to the embedding).
  public let head: MatrixAudit?
  /// Every flagged row, by id.
  public let flaggedRows: [FlaggedRow]
  /// Tokens whose id is not below the number of rows.
  public let tokensWithoutRow: [Token]
  /// Rows whose id no token has (informational: padded vocabularies have many; not a finding).
  public let unusedRows: IDRanges
  /// Things the reader should know (checks skipped, and why).
  public let notes: [String]

  /// The tokenizer's text for `id`, when there is a tokenizer and it has one.
  public func token(of id: Int) -> String? { vocabulary?.token(of: id) }

  /// Whether anything is flagged (a row, or a token without a row): `audit` exits with 3.
  public var hasFindings: Bool { !flaggedRows.isEmpty || !tokensWithoutRow.isEmpty }

  /// The text of token `id`, when the tokenizer has one.
  private static func text(_ id: Int, in vocabulary: TokenizerVocabulary?) -> String? {
    vocabulary?.token(of: id)
  }

  /// Audits `model`.
  ///
  /// - Parameters:
  ///   - embeddingName: the embedding tensor (default: detected as `resize` does).
  ///   - headName: the head tensor (default: detected).
  /// - Throws: ``SurgeryError`` when the checkpoint cannot be read or has no usable embedding.
  /// - Complexity: O(*rows* × *dimension*) per matrix; memory O(*rows*) plus a few MiB.
  public init(model: ModelCheckpoint, embeddingName: String? = nil, headName: String? = nil) throws(SurgeryError) {
    self.model = model.path.string
    tokenizerPath = model.tokenizerPath?.string
    let vocabulary = model.vocabulary
    self.vocabulary = vocabulary
    vocabularySize = vocabulary?.size
    let roles = try LocatedRoles(model: model, embeddingName: embeddingName, headName: headName).roles
    var notes: [String] = []

    var reserved: [Int] = []
    if let vocabulary {
      for id in 0..<vocabulary.size {
        if let token = vocabulary.token(of: id), ReservedTokenPattern.match(token) != nil { reserved.append(id) }
      }
    } else {
      notes.append(
        "no tokenizer.json: token texts, reserved rows, tokens without a row and unused rows are not checked")
    }
    reservedIDs = reserved
    // Tokens past the last row, and rows no token uses.
    let rows = roles.embedding.shape[0]
    var withoutRow: [Token] = []
    var unused: [Int] = []
    if let vocabulary {
      if vocabulary.size > rows {
        for id in rows..<vocabulary.size {
          if let token = vocabulary.token(of: id) { withoutRow.append(Token(id: id, text: token)) }
        }
      }
      for id in 0..<rows where vocabulary.token(of: id) == nil { unused.append(id) }
    }
    // The rows whose mean untrained rows resemble: reserved placeholders and rows no token uses.
    let reservedSet = Set(reserved).union(unused)

    func audit(_ info: TensorInfo, role: MatrixRole) throws(SurgeryError) -> MatrixAudit {
      try ModelAudit.audit(info, role: role, of: model, averaging: reservedSet, notes: &notes)
    }
    let embedding = try audit(roles.embedding, role: .embedding)
    self.embedding = embedding
    let head = try roles.head.map { (info) throws(SurgeryError) in try audit(info, role: .head) }
    self.head = head

    var ids = Set(embedding.findings.keys)
    if let head { ids.formUnion(head.findings.keys) }
    flaggedRows = ids.sorted().map { id in
      FlaggedRow(
        id: id, token: ModelAudit.text(id, in: vocabulary),
        embedding: (embedding.findings[id] ?? []).sorted(), head: (head?.findings[id] ?? []).sorted())
    }
    tokensWithoutRow = withoutRow
    unusedRows = IDRanges(unused)
    if roles.head == nil { notes.append("the head is tied to the embedding") }
    self.notes = notes
  }

  /// The findings in one matrix: its norms, rows close to the mean of the `reserved` rows
  /// (reserved placeholders and rows no token uses), duplicates.
  private static func audit(
    _ info: TensorInfo, role: MatrixRole, of model: ModelCheckpoint, averaging reserved: Set<Int>,
    notes: inout [String]
  ) throws(SurgeryError) -> MatrixAudit {
    let matrix = try MatrixRows(info, in: model.checkpoint)
    let scan = RowNorms(scanning: matrix, selected: { reserved.contains($0) })
    var cosines: [Double?]?
    var meanNorm: Double?
    if let mean = scan.selectedMean {
      cosines = scan.cosines(of: matrix, with: mean)
      meanNorm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
    } else if !reserved.isEmpty {
      notes.append(
        "\(role.rawValue): fewer than two reserved or unused rows are non-zero, so the check for rows close to their mean was skipped"
      )
    }
    let duplicates = scan.duplicateGroups(in: matrix)
    let (flags, lowNorm) = RowAuditRules.flags(
      norms: scan.norms, isZero: scan.isZero, isNonFinite: scan.isNonFinite, cosines: cosines,
      duplicates: duplicates)
    var flagged: [Int: Set<RowFinding>] = [:]
    for (id, set) in flags.enumerated() where !set.isEmpty { flagged[id] = set }
    return MatrixAudit(
      role: role, matrix: MatrixDescription(info), norms: NormSummary(sorting: scan.norms.filter(\.isFinite)),
      lowNorm: lowNorm, reservedRowsAveraged: meanNorm == nil ? 0 : scan.selectedCount, reservedMeanNorm: meanNorm,
      duplicateGroups: duplicates, findings: flagged)
  }
}

extension ModelAudit.NormSummary {
  /// The summary of `norms` (`nil` when there is none).
  init?(sorting norms: [Double]) {
    let sorted = norms.sorted()
    guard let first = sorted.first, let last = sorted.last else { return nil }
    self.init(
      count: sorted.count, min: first, p1: Quantiles.quantile(sortedValues: sorted, 0.01),
      p5: Quantiles.quantile(sortedValues: sorted, 0.05), p50: Quantiles.quantile(sortedValues: sorted, 0.5),
      p95: Quantiles.quantile(sortedValues: sorted, 0.95), p99: Quantiles.quantile(sortedValues: sorted, 0.99),
      max: last)
  }
}

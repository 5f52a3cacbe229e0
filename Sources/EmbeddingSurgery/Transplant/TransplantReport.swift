import StrictJSON

/// What a transplant did (or, for a dry run, would do).
///
/// JSON (`transplant --json`): `{"rows_before", "rows_after", "matched": {"bytes", "special",
/// "role"}, "approximated", "init", "k", "special_tokens": [{"id", "token", "matched", "base_id"}],
/// "worst": [{"id", "token", "residual", "max_coefficient"}], "number_split_differs", "resized",
/// "output", "removed_files", "written", "notes", "id_map": [base id or null, by donor id]}`.
public struct TransplantReport: SurgeryReport, Encodable, Sendable, Equatable {
  /// How many donor tokens were matched, by how.
  public struct Matched: Encodable, Sendable, Equatable {
    /// By their bytes.
    public var bytes: Int
    /// Added and special tokens, by their content.
    public var special: Int
    /// Special tokens by their role.
    public var role: Int
  }

  /// A special token of the donor and what became of it.
  public struct SpecialToken: Encodable, Sendable, Equatable {
    public var id: Int
    public var token: String
    /// `content`, `role` or `approximated`.
    public var matched: String
    /// The base row it took (`nil` when approximated).
    public var baseID: Int?

    enum CodingKeys: String, CodingKey {
      case id, token, matched
      case baseID = "base_id"
    }
  }

  /// An approximated token and how well its pursuit went.
  public struct Approximation: Encodable, Sendable, Equatable {
    public var id: Int
    public var token: String
    /// The relative residual of the embedding's pursuit (|target − approximation| / |target|).
    public var residual: Float
    /// The largest absolute coefficient.
    public var maxCoefficient: Float

    enum CodingKeys: String, CodingKey {
      case id, token, residual
      case maxCoefficient = "max_coefficient"
    }
  }

  public var rowsBefore: Int
  public var rowsAfter: Int
  public var matched: Matched
  /// Donor tokens whose rows were approximated.
  public var approximated: Int
  /// The rule of the approximated rows.
  public var initialization: TransplantInitialization
  /// The pursuit's atoms at most (`omp`).
  public var atoms: Int
  public var specialTokens: [SpecialToken]
  /// For `omp`: every approximated token, worst residual first (a dry run has none).
  public var worst: [Approximation]
  /// Whether the two tokenizers split numbers differently.
  public var numberSplitDiffers: Bool
  /// The tensors rewritten.
  public var resized: [String]
  /// Where the result was (or would be) written.
  public var output: String
  /// The base's tokenizer files that the donor lacks, removed from the output.
  public var removedFiles: [String]
  /// Whether a checkpoint was written.
  public var written: Bool
  /// Remarks for a person.
  public var notes: [String]
  /// The base id of each donor id's row (`nil`: approximated or padding).
  public var idMap: [Int?]

  enum CodingKeys: String, CodingKey {
    case rowsBefore = "rows_before"
    case rowsAfter = "rows_after"
    case matched, approximated
    case initialization = "init"
    case atoms = "k"
    case specialTokens = "special_tokens"
    case worst
    case numberSplitDiffers = "number_split_differs"
    case resized
    case output
    case removedFiles = "removed_files"
    case written, notes
    case idMap = "id_map"
  }

  /// The report as JSON, as `--json` prints it (the keys of ``CodingKeys``, in their order).
  public var json: JSONValue {
    func number(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }
    func float(_ value: Float) -> JSONValue {
      JSONNumber(Double(value)).map { .number($0) } ?? .null
    }
    func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
    return .object([
      JSONMember("rows_before", number(rowsBefore)),
      JSONMember("rows_after", number(rowsAfter)),
      JSONMember(
        "matched",
        .object([
          JSONMember("bytes", number(matched.bytes)), JSONMember("special", number(matched.special)),
          JSONMember("role", number(matched.role)),
        ])),
      JSONMember("approximated", number(approximated)),
      JSONMember("init", .string(initialization.rawValue)),
      JSONMember("k", number(atoms)),
      JSONMember(
        "special_tokens",
        .array(
          specialTokens.map {
            .object([
              JSONMember("id", number($0.id)), JSONMember("token", .string($0.token)),
              JSONMember("matched", .string($0.matched)), JSONMember("base_id", $0.baseID.map(number) ?? .null),
            ])
          })),
      JSONMember(
        "worst",
        .array(
          worst.map {
            .object([
              JSONMember("id", number($0.id)), JSONMember("token", .string($0.token)),
              JSONMember("residual", float($0.residual)), JSONMember("max_coefficient", float($0.maxCoefficient)),
            ])
          })),
      JSONMember("number_split_differs", .bool(numberSplitDiffers)),
      JSONMember("resized", strings(resized)),
      JSONMember("output", .string(output)),
      JSONMember("removed_files", strings(removedFiles)),
      JSONMember("written", .bool(written)),
      JSONMember("notes", strings(notes)),
      JSONMember("id_map", .array(idMap.map { $0.map(number) ?? .null })),
    ])
  }
}

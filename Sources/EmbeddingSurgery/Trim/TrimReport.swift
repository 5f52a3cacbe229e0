import StrictJSON

/// What a trim did (or, for a dry run, would do): sizes before and after, and the renumbering a
/// pipeline needs to remap an already tokenized dataset.
public struct TrimReport: SurgeryReport, Sendable, Equatable {
  /// Rows of the embedding before and after.
  public var rowsBefore: Int
  public var rowsAfter: Int
  /// Tokens kept and removed.
  public var kept: Int
  public var removed: Int
  /// The bytes of the checkpoint's safetensors files before and after.
  public var bytesBefore: Int
  public var bytesAfter: Int
  /// The tensors whose rows were gathered.
  public var resized: [String]
  /// Where the result was (or would be) written.
  public var output: String
  /// `[old id, new id]` of every kept token, ascending.
  public var idMap: [(old: Int, new: Int)]
  /// Requested `keep` tokens that are not in the vocabulary.
  public var skipped: [String]
  /// The texts of the corpus, and the tokens they encoded to.
  public var corpusTexts: Int
  public var corpusTokens: Int
  /// Whether a checkpoint was written.
  public var written: Bool
  /// Remarks for a person (an empty corpus, nothing to remove, hard links...).
  public var notes: [String]

  public static func == (lhs: TrimReport, rhs: TrimReport) -> Bool {
    lhs.rowsBefore == rhs.rowsBefore && lhs.rowsAfter == rhs.rowsAfter && lhs.kept == rhs.kept
      && lhs.removed == rhs.removed && lhs.bytesBefore == rhs.bytesBefore && lhs.bytesAfter == rhs.bytesAfter
      && lhs.resized == rhs.resized && lhs.output == rhs.output && lhs.idMap.map(\.old) == rhs.idMap.map(\.old)
      && lhs.idMap.map(\.new) == rhs.idMap.map(\.new) && lhs.skipped == rhs.skipped && lhs.written == rhs.written
      && lhs.corpusTexts == rhs.corpusTexts && lhs.corpusTokens == rhs.corpusTokens
      && lhs.notes == rhs.notes
  }

  /// The report as JSON, in this order: `{"rows_before", "rows_after", "kept", "removed",
  /// "bytes_before", "bytes_after", "resized": [names], "output", "id_map": [[old, new], ...],
  /// "skipped": [tokens], "corpus": {"texts", "tokens"}, "written", "notes": [text]}`.
  public var json: JSONValue {
    func number(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }
    return .object([
      JSONMember("rows_before", number(rowsBefore)),
      JSONMember("rows_after", number(rowsAfter)),
      JSONMember("kept", number(kept)),
      JSONMember("removed", number(removed)),
      JSONMember("bytes_before", number(bytesBefore)),
      JSONMember("bytes_after", number(bytesAfter)),
      JSONMember("resized", .array(resized.map { .string($0) })),
      JSONMember("output", .string(output)),
      JSONMember("id_map", .array(idMap.map { .array([number($0.old), number($0.new)]) })),
      JSONMember("skipped", .array(skipped.map { .string($0) })),
      JSONMember(
        "corpus", .object([JSONMember("texts", number(corpusTexts)), JSONMember("tokens", number(corpusTokens))])),
      JSONMember("written", .bool(written)),
      JSONMember("notes", .array(notes.map { .string($0) })),
    ])
  }
}

import StrictJSON
import Tokenization

/// What an extend did (or, for a dry run, would do).
public struct ExtendReport: SurgeryReport, Sendable, Equatable {
  /// A string of `--words` that got no merges, and why.
  public struct SkippedWord: Sendable, Equatable {
    public var token: String
    public var reason: String
  }

  /// Rows of the embedding before and after.
  public var rowsBefore: Int
  public var rowsAfter: Int
  /// The new merges, in the order the tokenizer file lists them (after the old ones).
  public var merges: [ExtensionMerge]
  /// The new tokens in id order, with the old pieces their rows are made from (`nearest`).
  public var newTokens: [Token]
  public var pieces: [[Int]]
  /// The `--words` strings skipped.
  public var skipped: [SkippedWord]
  /// The corpus: texts, UTF-8 bytes, tokens before and after.
  public var corpusTexts: Int
  public var corpusBytes: Int
  public var tokensBefore: Int
  public var tokensAfter: Int
  /// The tensors that grew.
  public var resized: [String]
  /// Where the result was (or would be) written.
  public var output: String
  /// Whether a checkpoint was written.
  public var written: Bool
  /// Remarks for a person (learning stopped early, files left alone...).
  public var notes: [String]

  /// The report as JSON, in this order: `{"rows_before", "rows_after", "merges": [{"left",
  /// "right", "token", "id", "count"}], "skipped": [{"token", "reason"}], "corpus": {"texts",
  /// "bytes", "tokens_before", "tokens_after"}, "resized": [names], "output", "written",
  /// "notes": [text]}`. Merge tokens are the model's strings (byte-level alphabet, `▁`).
  public var json: JSONValue {
    func number(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }
    return .object([
      JSONMember("rows_before", number(rowsBefore)),
      JSONMember("rows_after", number(rowsAfter)),
      JSONMember(
        "merges",
        .array(
          merges.map {
            .object([
              JSONMember("left", .string($0.left.text)), JSONMember("right", .string($0.right.text)),
              JSONMember("token", .string($0.token.text)), JSONMember("id", number($0.token.id)),
              JSONMember("count", number($0.count)),
            ])
          })),
      JSONMember(
        "skipped",
        .array(
          skipped.map { .object([JSONMember("token", .string($0.token)), JSONMember("reason", .string($0.reason))]) })
      ),
      JSONMember(
        "corpus",
        .object([
          JSONMember("texts", number(corpusTexts)), JSONMember("bytes", number(corpusBytes)),
          JSONMember("tokens_before", number(tokensBefore)), JSONMember("tokens_after", number(tokensAfter)),
        ])),
      JSONMember("resized", .array(resized.map { .string($0) })),
      JSONMember("output", .string(output)),
      JSONMember("written", .bool(written)),
      JSONMember("notes", .array(notes.map { .string($0) })),
    ])
  }
}

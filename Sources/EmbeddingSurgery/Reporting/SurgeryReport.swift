import StrictJSON

/// A report of embsurgery: a value that `--json` prints as one JSON object and from which the
/// command renders its text summary, so the two cannot disagree. Modelled on
/// swift-argument-parser's `ToolInfoV0`: plain `Encodable` structs behind one serialization
/// version, ``ReportSchema/version``.
///
/// How a new operation's report plugs in (transplant, extend, ...):
/// 1. Declare `struct NameReport: SurgeryReport` in the operation's folder, with explicit
///    `CodingKeys` in the order the JSON lists them, named in snake_case from the shared
///    vocabulary: `rows_before`/`rows_after`, `resized` (the tensors whose rows changed),
///    `output`, `written`, `notes`; a matrix is a ``MatrixDescription`` (`{name, rows, dim,
///    dtype}`), a token `{token, id}`, a run of ids `[first, last]`. Let the synthesized
///    `encode(to:)` do the work; write one by hand only to flatten or derive members (as
///    ``ModelAudit`` does). Optionals are written as `null` by the encoder, never left out.
/// 2. Its ``json`` is `{"schema_version": ReportSchema.version, <its members>}`: nothing to
///    write. Bump ``ReportSchema/version`` when a key changes meaning or goes away.
/// 3. Add the report's object to `docs/json-schema.json` and run `scripts/generate-from-schema`
///    (the tables of `docs/json-schema.md` and the Python classes come from it); the command-line
///    tests check every `--json` output against the schema.
/// 4. In the command (Sources/embsurgery), render the text from the report (a `...Summary` whose
///    `text` reads the report's values; `SurgerySummary.ending` for the notes and the written
///    line) and print with `OutputOptions.run` (a surgery plan: dry run, progress, `--json`) or
///    `CommandOutput.print(_:json:text:)`. Throw `CommandOutput.failure(error)` for a
///    ``SurgeryError``: the executable's `main` prints the `error:` line and, under `--json`, the
///    ``ErrorReport``.
public protocol SurgeryReport: Encodable, Sendable {}

/// The version of every JSON document embsurgery prints (reports, errors, progress lines): the
/// first member of each, `"schema_version"`.
public enum ReportSchema {
  /// 1: reports as `Encodable` values; errors and progress as JSON.
  public static let version = 1

  /// The leading member of every document.
  public static var versionMember: JSONMember { JSONMember("schema_version", .number(JSONNumber(version))) }

  /// The document of any encodable `value` (which must encode as an object): `schema_version`
  /// first, then its own members.
  ///
  /// - Throws: what `value`'s `encode(to:)` throws (reports never throw).
  public static func document(_ value: some Encodable) throws -> JSONValue {
    try JSONValueEncoder.encode(value, leading: [versionMember])
  }
}

extension SurgeryReport {
  /// The report as `--json` prints it: `{"schema_version": ReportSchema.version, ...}`.
  public var json: JSONValue {
    get throws { try ReportSchema.document(self) }
  }
}

import EmbeddingSurgery
import Foundation
import StrictJSON
import TestSupport
import Testing

/// Model folders of families with reserved placeholder tokens, built by the Python reference
/// (`Tests/Reference/hygiene_reference.py`), and the reference's verdict on an output.
struct HygieneModel {
  /// "llama3": 30 words, `<|begin_of_text|>` 30, `<|end_of_text|>` 31, `<|reserved_special_token_0…7|>`
  /// 32…39 with all-zero rows; eos_token_id [31, 33], generation pad 35, tokenizer_config pad
  /// `<|reserved_special_token_5|>` (37). "gemma": `<pad> <eos> <bos> <unk>` 0…3, `<unused0…5>` 4…9
  /// (model vocab and added tokens), words 10…35; the chat template mentions `<unused3>`.
  var family = "llama3"
  var dtype = "BF16"
  var dimension = 16
  var seed = 1
  var head = true
  var nanRows: [Int] = []
  var smallRows: [Int] = []

  static let script = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Reference/hygiene_reference.py").path

  var rows: Int { family == "llama3" ? 40 : 36 }

  func make(in folder: URL) throws {
    let spec = JSONValue.object([
      JSONMember("folder", .string(folder.path)), JSONMember("family", .string(family)),
      JSONMember("dtype", .string(dtype)), JSONMember("dim", .number(JSONNumber(dimension))),
      JSONMember("seed", .number(JSONNumber(seed))), JSONMember("head", .bool(head)),
      JSONMember("nan_rows", .array(nanRows.map { .number(JSONNumber($0)) })),
      JSONMember("small_rows", .array(smallRows.map { .number(JSONNumber($0)) })),
    ])
    try TestEnvironment.run(try TestEnvironment.python(), [Self.script, "make", JSONWriter.string(spec)])
  }

  /// The rows the reference flags as untrained in a tensor: id → reasons.
  static func untrained(file: URL, tensor: String, dtype: String) throws -> [Int: [String]] {
    let spec = JSONValue.object([
      JSONMember("file", .string(file.path)), JSONMember("tensor", .string(tensor)),
      JSONMember("dtype", .string(dtype)),
    ])
    let data = try TestEnvironment.run(
      try TestEnvironment.python(), [Self.script, "untrained", JSONWriter.string(spec)])
    var result: [Int: [String]] = [:]
    for member in try JSONParser.parse(Array(data)).members ?? [] {
      result[Int(member.key) ?? -1] = member.value.elements?.compactMap(\.string) ?? []
    }
    return result
  }

  /// What the reference checks of an output.
  struct Expectation {
    var dtype: String
    var rows: Int
    var rowsAfter: Int
    /// The rows written and their rule.
    var targets: [Int: InitializationRule]
    /// Rows the statistics leave out besides the targets, all-zero rows and (with
    /// `excludingFlagged`) the rows the reference flags.
    var excluded: [Int] = []
    var excludingFlagged = true
    var noiseScale = 1e-5
    /// Tokens tokenizers must encode to one id.
    var tokens: [String: Int] = [:]
    /// Old slot text → new token.
    var slots: [String: String] = [:]
  }

  /// The reference's failures for `output` (empty when it is right).
  static func verify(model folder: URL, output: URL, _ expectation: Expectation) throws -> [String] {
    let spec = JSONValue.object([
      JSONMember("folder", .string(folder.path)), JSONMember("output", .string(output.path)),
      JSONMember("dtype", .string(expectation.dtype)), JSONMember("rows", .number(JSONNumber(expectation.rows))),
      JSONMember("rows_after", .number(JSONNumber(expectation.rowsAfter))),
      JSONMember(
        "targets",
        .object(
          expectation.targets.sorted { $0.key < $1.key }.map { JSONMember(String($0.key), .string($0.value.rawValue)) })
      ),
      JSONMember("excluded", .array(expectation.excluded.map { .number(JSONNumber($0)) })),
      JSONMember("exclude_flagged", .bool(expectation.excludingFlagged)),
      JSONMember("noise_scale", .string(String(expectation.noiseScale))),
      JSONMember(
        "tokens",
        .object(expectation.tokens.sorted { $0.key < $1.key }.map { JSONMember($0.key, .number(JSONNumber($0.value))) })
      ),
      JSONMember(
        "slots", .object(expectation.slots.sorted { $0.key < $1.key }.map { JSONMember($0.key, .string($0.value)) })),
    ])
    let data = try TestEnvironment.run(try TestEnvironment.python(), [Self.script, "verify", JSONWriter.string(spec)])
    let value = try JSONParser.parse(Array(data))
    return value.elements?.compactMap(\.string) ?? ["the reference printed \(String(decoding: data, as: UTF8.self))"]
  }
}

import EmbeddingSurgery
import Foundation
import StrictJSON
import TestSupport
import Testing

/// A small model folder built by the Python reference (`Tests/Reference/resize_reference.py`),
/// and the reference's verdict on a resized output.
struct ReferenceModel {
  var dtype = "BF16"
  var rows = 40
  var dimension = 24
  var head = true
  var bias: String? = "lm_head.bias"
  var zeroRows: [Int] = [2, 5]
  var vocabulary: Int? = 40
  var seed = 3
  /// The safetensors file inside the folder, when not `model.safetensors`.
  var modelFile: String?
  /// The original tokenizer.json, to check the reported pieces against the Python library's split.
  var tokenizer: String?
  /// Whether to write three shards and an index instead of one model.safetensors.
  var sharded = false

  static let script = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Reference/resize_reference.py").path

  func specification(folder: String, extra: [JSONMember] = []) -> String {
    JSONWriter.string(
      .object(
        [
          JSONMember("folder", .string(folder)), JSONMember("dtype", .string(dtype)),
          JSONMember("rows", .number(JSONNumber(rows))), JSONMember("dim", .number(JSONNumber(dimension))),
          JSONMember("head", .bool(head)), JSONMember("bias", bias.map { .string($0) } ?? .null),
          JSONMember("zero_rows", .array(zeroRows.map { .number(JSONNumber($0)) })),
          JSONMember("vocab", vocabulary.map { .number(JSONNumber($0)) } ?? .null),
          JSONMember("seed", .number(JSONNumber(seed))),
          JSONMember("model_file", modelFile.map { .string($0) } ?? .null),
          JSONMember("tokenizer", tokenizer.map { .string($0) } ?? .null),
          JSONMember("shards", .bool(sharded)),
        ] + extra))
  }

  /// Writes the model folder.
  func make(in folder: URL) throws {
    try TestEnvironment.run(try TestEnvironment.python(), [Self.script, "make", specification(folder: folder.path)])
  }

  /// The reference's list of failures for `output` (empty when the output is right).
  func verify(model folder: URL, output: String, report: ResizeReport, rule: InitializationRule) throws -> [String] {
    let extra = [
      JSONMember("output", .string(output)), JSONMember("report", try report.json),
      JSONMember("init", .string(rule.rawValue)),
    ]
    let data = try TestEnvironment.run(
      try TestEnvironment.python(), [Self.script, "verify", specification(folder: folder.path, extra: extra)])
    let value = try JSONParser.parse(Array(data))
    return value.elements?.compactMap(\.string) ?? ["the reference printed \(String(decoding: data, as: UTF8.self))"]
  }

  /// Records an issue for each of the reference's failures.
  func expectVerified(
    model folder: URL, output: String, report: ResizeReport, rule: InitializationRule,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let failures = try verify(model: folder, output: output, report: report, rule: rule)
    #expect(failures.isEmpty, "\(failures)", sourceLocation: sourceLocation)
  }
}

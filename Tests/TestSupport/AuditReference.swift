import Foundation

/// The Python side of the audit and diff tests (`Tests/Reference/audit_reference.py`): builds
/// small checkpoints and returns what `audit` and `diff` must report.
public enum AuditReference {
  /// The script's path.
  public static let script = TestEnvironment.repositoryRoot
    .appendingPathComponent("Tests/Reference/audit_reference.py").path

  /// Runs the script with `arguments` and returns its JSON output as a dictionary.
  @discardableResult
  public static func run(_ arguments: [String]) throws -> [String: Any] {
    let data = try TestEnvironment.run(try TestEnvironment.python(), [script] + arguments)
    guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw TestEnvironment.ProcessFailed(
        description: "audit_reference.py printed \(String(decoding: data, as: UTF8.self))")
    }
    return object
  }

  /// `value` as `[Int]` (from a JSON array of numbers).
  public static func ints(_ value: Any?) -> [Int]? {
    (value as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue }
  }

  /// `value` as `[[Int]]`.
  public static func groups(_ value: Any?) -> [[Int]]? {
    (value as? [Any])?.compactMap { ints($0) }
  }
}

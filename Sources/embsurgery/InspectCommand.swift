import ArgumentParser
import EmbeddingSurgery
import SafeTensors
import StrictJSON


/// `embsurgery inspect MODEL [--json]`: what a checkpoint holds and how its vocabulary sizes agree.
struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "List a checkpoint's tensors, its embedding and output head, and its vocabulary sizes.",
    discussion: """
      MODEL is a .safetensors file or a model folder (model.safetensors, or \
      model.safetensors.index.json and its shards, plus config.json and tokenizer.json when present).
      """
  )

  @Argument(help: "A .safetensors file or a model folder.")
  var model: String

  @Flag(name: .long, help: "Print one line of JSON instead of the readable report.")
  var json = false

  func run() throws {
    let report: InspectReport
    do {
      report = try InspectReport(model: model)
    } catch let error as SurgeryError {
      throw failure(error.description)
    } catch let error as SafeTensorsError {
      throw failure(error.description)
    } catch {
      throw failure("\(model): \(error)")
    }
    print(json ? report.json() : report.text(), terminator: "")
  }

  private func failure(_ message: String) -> ExitCode { CommandOutput.failure(message) }
}

/// Everything `inspect` reports.
struct InspectReport {
  struct File {
    var name: String
    var tensorCount: Int
    var bytes: Int
  }
  struct Matrix {
    var name: TensorName
    var rows: Int
    var dim: Int
    var dtype: DType

    init(_ tensor: TensorInfo) {
      name = tensor.name
      rows = tensor.shape[0]
      dim = tensor.shape.count > 1 ? tensor.shape[1] : 1
      dtype = tensor.dtype
    }
  }

  var path: String
  var files: [File] = []
  var tensors: [(info: TensorInfo, file: String)] = []
  var metadata: [String: String]?
  var embedding: Matrix?
  var head: Matrix?
  var configVocabSize: Int?
  var tokenizerSize: Int?

  var tied: Bool { embedding != nil && head == nil }

  init(model: String) throws {
    path = model
    let opened = try ModelCheckpoint(path: model)
    let checkpoint = opened.checkpoint
    let display: (String) -> String = { checkpoint.isFolder ? $0 : checkpoint.path }
    let listed = try checkpoint.tensors()
    for name in checkpoint.fileNames {
      let file = try checkpoint.file(named: name)
      files.append(File(name: display(name), tensorCount: file.header.tensors.count, bytes: file.size))
      if metadata == nil { metadata = file.header.metadata }
    }
    tensors = listed.map { ($0.info, display($0.fileName)) }
    // The same detection as `resize`; a checkpoint without a recognizable embedding still lists.
    if let roles = try? TensorRoles.find(
      in: listed.map(\.info), configVocabularySize: opened.configVocabularySize, path: model)
    {
      embedding = Matrix(roles.embedding)
      head = roles.head.map(Matrix.init)
    }
    configVocabSize = opened.configVocabularySize
    tokenizerSize = opened.vocabulary?.size
  }

  // MARK: Output

  private static func matrixJSON(_ matrix: Matrix?) -> JSONValue {
    guard let matrix else { return .null }
    return .object([
      JSONMember("name", .string(matrix.name.string)), JSONMember("rows", .number(JSONNumber(matrix.rows))),
      JSONMember("dim", .number(JSONNumber(matrix.dim))), JSONMember("dtype", .string(matrix.dtype.rawValue)),
    ])
  }

  private static func optionalNumber(_ value: Int?) -> JSONValue {
    value.map { .number(JSONNumber($0)) } ?? .null
  }

  /// The `--json` output: one compact line.
  func json() -> String {
    let value: JSONValue = .object([
      JSONMember(
        "files",
        .array(files.map { file in
          .object([
            JSONMember("path", .string(file.name)), JSONMember("tensors", .number(JSONNumber(file.tensorCount))),
            JSONMember("bytes", .number(JSONNumber(file.bytes))),
          ])
        })),
      JSONMember(
        "tensors",
        .array(tensors.map { tensor in
          .object([
            JSONMember("name", .string(tensor.info.name.string)),
            JSONMember("dtype", .string(tensor.info.dtype.rawValue)),
            JSONMember("shape", .array(tensor.info.shape.map { .number(JSONNumber($0)) })),
            JSONMember("file", .string(tensor.file)),
          ])
        })),
      JSONMember(
        "metadata",
        metadata.map { map in
          .object(
            map.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { JSONMember($0, .string(map[$0] ?? "")) })
        } ?? .null),
      JSONMember("embedding", Self.matrixJSON(embedding)),
      JSONMember("head", Self.matrixJSON(head)),
      JSONMember("tied", .bool(tied)),
      JSONMember(
        "vocab",
        .object([
          JSONMember("rows", Self.optionalNumber(embedding?.rows)),
          JSONMember("config", Self.optionalNumber(configVocabSize)),
          JSONMember("tokenizer", Self.optionalNumber(tokenizerSize)),
        ])),
    ])
    return JSONWriter.string(value, style: .compact) + "\n"
  }

  private static func size(_ bytes: Int) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    if unit == 0 { return "\(bytes) bytes" }
    return "\((value * 10).rounded() / 10) \(units[unit])"
  }

  private static func shape(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
  }

  private static func padded(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
  }

  private static func describe(_ matrix: Matrix) -> String {
    "\(matrix.name) \(matrix.dtype.rawValue) [\(matrix.rows), \(matrix.dim)]"
  }

  /// The readable report.
  func text() -> String {
    var lines: [String] = []
    let dataBytes = tensors.reduce(0) { $0 + $1.info.byteCount }
    lines.append("\(path): \(tensors.count) tensors, \(Self.size(dataBytes)) of tensor data in \(files.count) file(s)")
    if let metadata, !metadata.isEmpty {
      let pairs = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { "\($0)=\(metadata[$0] ?? "")" }
      lines.append("metadata: " + pairs.joined(separator: ", "))
    } else {
      lines.append("metadata: none")
    }
    lines.append("")
    lines.append("files:")
    for file in files {
      lines.append("  \(file.name)  \(file.tensorCount) tensors  \(Self.size(file.bytes)) (\(file.bytes) bytes)")
    }
    lines.append("")
    lines.append("tensors:")
    let nameWidth = tensors.map { $0.info.name.string.count }.max() ?? 0
    let shapeWidth = tensors.map { Self.shape($0.info.shape).count }.max() ?? 0
    for tensor in tensors {
      var line = "  " + Self.padded(tensor.info.name.string, nameWidth) + "  "
      line += Self.padded(tensor.info.dtype.rawValue, 11) + " " + Self.padded(Self.shape(tensor.info.shape), shapeWidth)
      line += "  " + Self.size(tensor.info.byteCount)
      if files.count > 1 { line += "  " + tensor.file }
      lines.append(line)
    }
    lines.append("")
    lines.append("embedding: " + (embedding.map(Self.describe) ?? "not found"))
    if let head {
      lines.append("head:      " + Self.describe(head))
    } else {
      lines.append("head:      " + (embedding == nil ? "not found" : "none (tied to the embedding)"))
    }
    lines.append("tied:      \(tied ? "yes" : "no")")
    let rows = embedding.map { String($0.rows) } ?? "unknown"
    let config = configVocabSize.map(String.init) ?? "absent"
    let tokenizer = tokenizerSize.map(String.init) ?? "absent"
    lines.append("vocabulary: \(rows) embedding rows, config.json vocab_size \(config), tokenizer \(tokenizer)")
    return lines.joined(separator: "\n") + "\n"
  }
}

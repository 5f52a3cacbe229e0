import ArgumentParser
import EmbeddingSurgery
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

  @Argument(help: "A .safetensors file, a model folder, or a Hugging Face repository id in the local cache.")
  var model: String

  @OptionGroup var location: ModelLocationOptions

  @Flag(name: .long, help: "Print one line of JSON instead of the readable report.")
  var json = false

  func run() throws {
    let report: InspectReport
    do {
      report = try InspectReport(model: try location.open(model))
    } catch {
      throw CommandOutput.failure(error)
    }
    try CommandOutput.print(report, json: json, text: InspectSummary(report: report).text)
  }
}

/// The readable report of `inspect`.
struct InspectSummary {
  let report: InspectReport

  private static func shape(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
  }

  private static func padded(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
  }

  /// The readable report.
  var text: String {
    let path = report.path
    let tensors = report.tensors
    let files = report.files
    let metadata = report.metadata
    let embedding = report.embedding
    let head = report.head
    var lines: [String] = []
    let dataBytes = tensors.reduce(0) { $0 + $1.info.byteCount }
    lines.append(
      "\(path): \(tensors.count) tensors, \(ByteSize.text(dataBytes)) of tensor data in \(files.count) file(s)")
    if let metadata, !metadata.isEmpty {
      let pairs = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map {
        "\($0)=\(metadata[$0] ?? "")"
      }
      lines.append("metadata: " + pairs.joined(separator: ", "))
    } else {
      lines.append("metadata: none")
    }
    lines.append("")
    lines.append("files:")
    for file in files {
      lines.append("  \(file.name)  \(file.tensorCount) tensors  \(ByteSize.text(file.bytes)) (\(file.bytes) bytes)")
    }
    lines.append("")
    lines.append("tensors:")
    let nameWidth = tensors.map { $0.info.name.string.count }.max() ?? 0
    let shapeWidth = tensors.map { Self.shape($0.info.shape).count }.max() ?? 0
    for tensor in tensors {
      var line = "  " + Self.padded(tensor.info.name.string, nameWidth) + "  "
      line += Self.padded(tensor.info.dtype.rawValue, 11) + " " + Self.padded(Self.shape(tensor.info.shape), shapeWidth)
      line += "  " + ByteSize.text(tensor.info.byteCount)
      if files.count > 1 { line += "  " + tensor.file }
      lines.append(line)
    }
    lines.append("")
    lines.append("embedding: " + (embedding?.text ?? "not found"))
    if let head {
      lines.append("head:      " + head.text)
    } else {
      lines.append("head:      " + (embedding == nil ? "not found" : "none (tied to the embedding)"))
    }
    lines.append("tied:      \(report.tied ? "yes" : "no")")
    let rows = embedding.map { String($0.rows) } ?? "unknown"
    let config = report.configVocabularySize.map(String.init) ?? "absent"
    let tokenizer = report.tokenizerSize.map(String.init) ?? "absent"
    lines.append("vocabulary: \(rows) embedding rows, config.json vocab_size \(config), tokenizer \(tokenizer)")
    return lines.joined(separator: "\n")
  }
}

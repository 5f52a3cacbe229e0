import Foundation
import SafeTensors
import SystemPackage
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Writes reference files with the Python package into `folder`.
private let referenceScript = #"""
  import sys, os, numpy as np
  from safetensors.numpy import save_file
  from safetensors import serialize_file, TensorSpec
  out = sys.argv[1]
  rng = np.random.default_rng(7)
  a = {
      "f64": rng.standard_normal((3, 2)),
      "f32": rng.standard_normal((4, 5)).astype(np.float32),
      "f16": rng.standard_normal((7,)).astype(np.float16),
      "i64": np.arange(-3, 3, dtype=np.int64).reshape(2, 3),
      "i32": np.arange(5, dtype=np.int32),
      "i16": np.arange(-4, 4, dtype=np.int16),
      "i8": np.arange(-5, 5, dtype=np.int8),
      "u8": np.arange(11, dtype=np.uint8),
      "u16": np.arange(3, dtype=np.uint16),
      "u32": np.arange(3, dtype=np.uint32),
      "u64": np.arange(2, dtype=np.uint64),
      "bool": np.array([True, False, True]),
      "c64": np.array([1 + 2j, 3 - 4j], dtype=np.complex64),
      "scalar": np.array(2.5, dtype=np.float32),
      "empty": np.zeros((0, 3), dtype=np.float32),
      "\u00e9": np.array([1], dtype=np.uint8),
      "e\u0301": np.array([2], dtype=np.uint8),
      "q\"\\\n\t\x01\x7f/": np.array([3], dtype=np.int8),
      "model.embed_tokens.weight": rng.standard_normal((10, 4)).astype(np.float32),
  }
  save_file(a, os.path.join(out, "a.safetensors"), metadata={"format": "pt"})
  save_file({"x": np.ones((2, 2), np.float32)}, os.path.join(out, "nometa.safetensors"))
  save_file({}, os.path.join(out, "empty.safetensors"), metadata={"format": "pt"})
  save_file({}, os.path.join(out, "nothing.safetensors"))
  save_file({"w": np.arange(6, dtype=np.float64)}, os.path.join(out, "oddmeta.safetensors"),
            metadata={"\u00e9\n\"k\\": "v\u0001\u00fc"})
  raw = rng.integers(0, 256, size=64, dtype=np.uint8)
  specs = {}
  for name, dtype, shape, length in [
      ("bf16", "bfloat16", [2, 3], 12), ("f8e4m3", "float8_e4m3fn", [5], 5),
      ("f8e5m2", "float8_e5m2", [2], 2), ("f8e8m0", "float8_e8m0fnu", [3], 3),
      ("f8e4m3fnuz", "float8_e4m3fnuz", [1], 1), ("f8e5m2fnuz", "float8_e5m2fnuz", [4], 4),
      ("f4", "float4_e2m1fn_x2", [3], 3), ("c64", "complex64", [2], 16), ("b", "bool", [2], 2)]:
      specs[name] = TensorSpec(dtype=dtype, shape=shape, data_ptr=raw.ctypes.data, data_len=length)
  serialize_file(specs, os.path.join(out, "raw.safetensors"), metadata={"format": "pt"})
  """#

private func generateReferenceFiles() throws -> ScratchDirectory {
  let folder = try ScratchDirectory()
  try TestEnvironment.runPython(referenceScript, arguments: [folder.url.path])
  return folder
}

private let referenceNames = ["a", "nometa", "empty", "nothing", "oddmeta", "raw"]

/// The reference's bytes again, from tensors given in reverse order with copied bytes.
@Test(arguments: referenceNames)
func writerMatchesPythonByteForByte(_ name: String) throws {
  let folder = try generateReferenceFiles()
  let referencePath = folder.path("\(name).safetensors").path
  let reference = try Data(contentsOf: URL(fileURLWithPath: referencePath))
  let file = try SafeTensorsFile(path: FilePath(referencePath))
  let tensors = file.header.tensors.reversed().map { info in
    TensorToWrite(
      name: info.name, dtype: info.dtype, shape: info.shape,
      segments: [.bytes(file.withData(of: info) { Array($0) })])
  }
  let header = try SafeTensorsWriter.header(for: tensors, metadata: file.header.metadata)
  #expect(header == Array(reference.prefix(file.header.dataStart)))
  let output = folder.path("ours-\(name).safetensors").path
  try SafeTensorsWriter.write(tensors, metadata: file.header.metadata, to: FilePath(output))
  #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == reference)
  // The same from the mapped file, each tensor split into a file segment and a byte segment.
  let copies = file.header.tensors.map { info -> TensorToWrite in
    let range = file.absoluteRange(of: info)
    let middle = range.lowerBound + range.count / 2
    return TensorToWrite(
      name: info.name, dtype: info.dtype, shape: info.shape,
      segments: [
        .file(file, range.lowerBound..<middle),
        .bytes(file.withBytes(in: middle..<range.upperBound) { Array($0) }),
      ])
  }
  let copyPath = folder.path("copy-\(name).safetensors").path
  try SafeTensorsWriter.write(copies, metadata: file.header.metadata, to: FilePath(copyPath), atomically: false)
  #expect(try Data(contentsOf: URL(fileURLWithPath: copyPath)) == reference)
  // The same again with every tensor made by a producer, 3 bytes at a time.
  let produced = file.header.tensors.map { info -> TensorToWrite in
    let range = file.absoluteRange(of: info)
    let bytes = file.withBytes(in: range) { Array($0) }
    return TensorToWrite(
      name: info.name, dtype: info.dtype, shape: info.shape,
      segments: [
        .producer(byteCount: bytes.count, chunkBytes: 3) { offset, count in Array(bytes[offset..<(offset + count)]) }
      ])
  }
  let producedPath = folder.path("produced-\(name).safetensors").path
  try SafeTensorsWriter.write(produced, metadata: file.header.metadata, to: FilePath(producedPath))
  #expect(try Data(contentsOf: URL(fileURLWithPath: producedPath)) == reference)
}

@Test func aProducerThatMakesTheWrongNumberOfBytesFailsCleanly() throws {
  let folder = try ScratchDirectory()
  let path = folder.path("out.safetensors").path
  let tensor = TensorToWrite(
    name: "a", dtype: .U8, shape: [8],
    segments: [.producer(byteCount: 8, chunkBytes: 4) { _, count in Array(repeating: 1, count: count - 1) }])
  #expect { try SafeTensorsWriter.write([tensor], to: FilePath(path)) } throws: {
    ($0 as? SafeTensorsError)?.kind == .invalidTensor
  }
  #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).isEmpty)
}

@Test func referenceFilesCoverTheExpectedDTypes() throws {
  let folder = try generateReferenceFiles()
  let a = try SafeTensorsFile(path: FilePath(folder.path("a.safetensors").path))
  let raw = try SafeTensorsFile(path: FilePath(folder.path("raw.safetensors").path))
  let dtypes = Set(a.header.tensors.map(\.dtype) + raw.header.tensors.map(\.dtype))
  #expect(
    dtypes.isSuperset(of: [
      .F64, .F32, .F16, .BF16, .I64, .I32, .I16, .I8, .U8, .U16, .U32, .U64, .BOOL, .C64, .F8_E4M3, .F8_E5M2, .F8_E8M0,
      .F8_E4M3FNUZ, .F8_E5M2FNUZ, .F4,
    ]))
  #expect(a.header.tensor(named: "scalar")?.shape == [])
  #expect(a.header.tensor(named: "empty")?.byteCount == 0)
  #expect(a.header.tensor(named: TensorName("\u{E9}")) != a.header.tensor(named: TensorName("e\u{301}")))
  #expect(raw.header.tensor(named: "f4")?.shape == [6])
}

/// What the Python reader sees in a file: name, dtype, shape and data (hex), one tensor a line.
private func pythonListing(_ path: String) throws -> [String] {
  let script = #"""
    import sys
    from safetensors import safe_open
    with safe_open(sys.argv[1], framework="numpy") as f:
        meta = f.metadata()
        print("metadata", sorted(meta.items()) if meta is not None else None)
        for k in sorted(f.keys(), key=lambda s: s.encode()):
            s = f.get_slice(k)
            print(k.encode().hex(), s.get_dtype(), list(s.get_shape()), f.get_tensor(k).tobytes().hex())
    """#
  let output = String(decoding: try TestEnvironment.runPython(script, arguments: [path]), as: UTF8.self)
  return output.split(separator: "\n").map(String.init)
}

private func hex(_ bytes: some Sequence<UInt8>) -> String {
  bytes.map { String(format: "%02x", $0) }.joined()
}

@Test func pythonReadsWhatWeWrite() throws {
  let folder = try ScratchDirectory()
  let path = folder.path("ours.safetensors").path
  let tensors = [
    TensorToWrite(
      name: "w", dtype: .F32, shape: [2, 2],
      segments: [.bytes([0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]), .bytes([0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40])]),
    TensorToWrite(name: TensorName("\u{E9}"), dtype: .U8, shape: [1], segments: [.bytes([1])]),
    TensorToWrite(name: TensorName("e\u{301}"), dtype: .U8, shape: [1], segments: [.bytes([2])]),
    TensorToWrite(name: "s", dtype: .I64, shape: [], segments: [.bytes([5, 0, 0, 0, 0, 0, 0, 0])]),
    TensorToWrite(name: "z", dtype: .F16, shape: [0, 4], segments: []),
    TensorToWrite(name: "h", dtype: .F16, shape: [1], segments: [.bytes([0x00, 0x3C])]),
  ]
  try SafeTensorsWriter.write(tensors, to: FilePath(path))
  let listing = try pythonListing(path)
  var expected = ["metadata [('format', 'pt')]"]
  for tensor in tensors.sorted(by: { $0.name < $1.name }) {
    let data = tensor.segments.flatMap { segment -> [UInt8] in
      if case .bytes(let bytes) = segment { return bytes }
      return []
    }
    let shape = "[" + tensor.shape.map(String.init).joined(separator: ", ") + "]"
    expected.append("\(hex(tensor.name.utf8)) \(tensor.dtype.rawValue) \(shape) \(hex(data))")
  }
  #expect(listing == expected)
  // And our reader reads it back.
  let file = try SafeTensorsFile(path: FilePath(path))
  #expect(file.header.tensors.count == 6)
  #expect(file.header.metadata == ["format": "pt"])
  let w = try #require(file.header.tensor(named: "w"))
  #expect(file.withData(of: w) { Array($0) } == [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40])
  #expect(file.header.tensors.map(\.dtype) == [.I64, .F32, .F16, .F16, .U8, .U8])
}

@Test func headerSortsByDTypeThenNameBytesAndPads() throws {
  let header = try SafeTensorsWriter.header(
    for: [
      TensorToWrite(name: "b", dtype: .BOOL, shape: [3], segments: []),
      TensorToWrite(name: "a", dtype: .BOOL, shape: [1], segments: []),
      TensorToWrite(name: "z", dtype: .U64, shape: [], segments: []),
    ], metadata: nil)
  let json =
    #"{"z":{"dtype":"U64","shape":[],"data_offsets":[0,8]},"a":{"dtype":"BOOL","shape":[1],"data_offsets":[8,9]},"b":{"dtype":"BOOL","shape":[3],"data_offsets":[9,12]}}"#
  let padded = json + String(repeating: " ", count: (8 - json.utf8.count % 8) % 8)
  #expect(header == Fixture.file(padded))
  #expect(header.count % 8 == 0)
  #expect(
    try SafeTensorsWriter.header(for: [], metadata: ["b": "2", "a": "1"])
      == Fixture.file(Fixture.padded(#"{"__metadata__":{"a":"1","b":"2"}}"#)))
}

@Test func headerRejectsBadTensors() {
  func kind(_ tensors: [TensorToWrite]) -> SafeTensorsError.Kind? {
    do {
      _ = try SafeTensorsWriter.header(for: tensors, metadata: nil)
      return nil
    } catch { return error.kind }
  }
  #expect(kind([TensorToWrite(name: "__metadata__", dtype: .U8, shape: [1], segments: [])]) == .reservedName)
  #expect(
    kind([
      TensorToWrite(name: TensorName("\u{E9}"), dtype: .U8, shape: [1], segments: []),
      TensorToWrite(name: TensorName("\u{E9}"), dtype: .I8, shape: [1], segments: []),
    ]) == .duplicateTensor)
  #expect(
    kind([
      TensorToWrite(name: TensorName("\u{E9}"), dtype: .U8, shape: [1], segments: []),
      TensorToWrite(name: TensorName("e\u{301}"), dtype: .U8, shape: [1], segments: []),
    ]) == nil)
  #expect(kind([TensorToWrite(name: "a", dtype: .U8, shape: [-1], segments: [])]) == .invalidTensor)
  #expect(kind([TensorToWrite(name: "a", dtype: .F4, shape: [3], segments: [])]) == .misalignedBits)
  #expect(kind([TensorToWrite(name: "a", dtype: .F64, shape: [Int.max, 4], segments: [])]) == .overflow)
}

@Test func writeChecksSegmentsAndLeavesNothingOnError() throws {
  let folder = try ScratchDirectory()
  let path = folder.path("out.safetensors").path
  #expect(throws: SafeTensorsError.self) {
    try SafeTensorsWriter.write(
      [TensorToWrite(name: "a", dtype: .F32, shape: [2], segments: [.bytes([1, 2, 3])])], to: FilePath(path))
  }
  let source = try Fixture.write(
    Fixture.file("{\(Fixture.entry("a", "U8", "2", "0", "2"))}", data: [1, 2]), to: "src.safetensors", in: folder)
  let file = try SafeTensorsFile(path: FilePath(source))
  do {
    try SafeTensorsWriter.write(
      [TensorToWrite(name: "a", dtype: .U8, shape: [4], segments: [.file(file, file.size - 2..<file.size + 2)])],
      to: FilePath(path))
    Issue.record("a segment past the end of its file was accepted")
  } catch {
    #expect(error.kind == .invalidTensor)
  }
  #expect(throws: SafeTensorsError.self) {
    try SafeTensorsWriter.write([], to: FilePath(folder.path("missing/out.safetensors").path))
  }
  #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["src.safetensors"])
  // A failure after all the data is written (the rename onto a non-empty folder fails) leaves
  // no temporary file behind either.
  let blocker = folder.path("blocker")
  try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: false)
  try Data([1]).write(to: blocker.appendingPathComponent("inside"))
  var progressCalls = 0
  #expect {
    try SafeTensorsWriter.write(
      file.header.tensors.map { TensorToWrite.copy(of: $0, in: file) }, to: FilePath(blocker.path),
      progress: { _, _ in progressCalls += 1 })
  } throws: {
    ($0 as? SafeTensorsError)?.kind == .io
  }
  #expect(progressCalls > 0)
  #expect(
    try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted() == ["blocker", "src.safetensors"])
}

@Test func writeReplacesAtomicallyWithUmaskMode() throws {
  let folder = try ScratchDirectory()
  let path = folder.path("out.safetensors").path
  try Data("old".utf8).write(to: URL(fileURLWithPath: path))
  let before = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? UInt64
  var reports: [(Int64, Int64)] = []
  try SafeTensorsWriter.write(
    [TensorToWrite(name: "a", dtype: .U8, shape: [3], segments: [.bytes([1, 2, 3])])], to: FilePath(path),
    progress: { reports.append(($0, $1)) })
  let after = try FileManager.default.attributesOfItem(atPath: path)
  #expect(after[.systemFileNumber] as? UInt64 != before)  // A new file, renamed into place.
  #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["out.safetensors"])
  let mask = umask(0o022)
  umask(mask)
  let mode = (after[.posixPermissions] as? Int) ?? -1
  #expect(mode == 0o666 & ~Int(mask))
  #expect(mode != 0o600 || mask == 0o066)
  let size = Int64(try Data(contentsOf: URL(fileURLWithPath: path)).count)
  #expect(reports.last.map { [$0.0, $0.1] } == [size, size])
  // Not atomically: straight to the path, same bytes.
  let direct = folder.path("direct.safetensors").path
  try SafeTensorsWriter.write(
    [TensorToWrite(name: "a", dtype: .U8, shape: [3], segments: [.bytes([1, 2, 3])])], to: FilePath(direct),
    atomically: false)
  #expect(try Data(contentsOf: URL(fileURLWithPath: direct)) == Data(contentsOf: URL(fileURLWithPath: path)))
}

@Test func writeRefusesToOverwriteItsInput() throws {
  let folder = try ScratchDirectory()
  let bytes = Fixture.file("{\(Fixture.entry("a", "U8", "2", "0", "2"))}", data: [1, 2])
  let path = try Fixture.write(bytes, to: "m.safetensors", in: folder)
  let file = try SafeTensorsFile(path: FilePath(path))
  let tensors = file.header.tensors.map { TensorToWrite.copy(of: $0, in: file) }
  for target in [path, folder.url.path + "/./m.safetensors"] {
    for atomically in [true, false] {
      #expect(throws: SafeTensorsError.sameFile(path: FilePath(target), source: FilePath(path))) {
        try SafeTensorsWriter.write(tensors, to: FilePath(target), atomically: atomically)
      }
    }
  }
  try FileManager.default.linkItem(atPath: path, toPath: folder.path("link.safetensors").path)
  #expect { try SafeTensorsWriter.write(tensors, to: FilePath(folder.path("link.safetensors").path)) } throws: {
    ($0 as? SafeTensorsError)?.kind == .sameFile
  }
  #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
  // Writing the copy elsewhere works and yields a readable file with the same data.
  let copy = folder.path("copy.safetensors").path
  try SafeTensorsWriter.write(tensors, metadata: nil, to: FilePath(copy))
  #expect(
    try Data(contentsOf: URL(fileURLWithPath: copy))
      == Data(Fixture.file(Fixture.padded(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#), data: [1, 2])))
}

@Test func roundTripsThroughTheReader() throws {
  let folder = try ScratchDirectory()
  let path = folder.path("r.safetensors").path
  var tensors: [TensorToWrite] = []
  var expected: [TensorName: [UInt8]] = [:]
  for (index, dtype) in DType.allCases.enumerated() {
    let shape = dtype.bitSize < 8 ? [2, 4] : [index % 3 + 1, 2]
    let size = shape.reduce(1, *) * dtype.bitSize / 8
    let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 31 + index) }
    let name = TensorName("t.\(dtype.rawValue)")
    tensors.append(TensorToWrite(name: name, dtype: dtype, shape: shape, segments: [.bytes(data)]))
    expected[name] = data
  }
  try SafeTensorsWriter.write(tensors, metadata: ["format": "pt", "note": "x"], to: FilePath(path))
  let file = try SafeTensorsFile(path: FilePath(path))
  #expect(file.header.metadata == ["format": "pt", "note": "x"])
  #expect(file.header.tensors.count == DType.allCases.count)
  #expect(file.header.tensors.map(\.dtype) == DType.writeOrder)
  for info in file.header.tensors {
    #expect(file.withData(of: info) { Array($0) } == expected[info.name])
    #expect(tensors.first { $0.name == info.name }?.shape == info.shape)
  }
}

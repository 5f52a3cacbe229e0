import Foundation
import SafeTensors
import SystemPackage
import TestSupport
import Testing

/// Files the reference accepts, and so must we.
let acceptedFiles: [(label: String, bytes: [UInt8])] = [
  ("empty object", Fixture.file("{}")),
  ("padded empty object", Fixture.file("{}      ")),
  ("whitespace around the object", Fixture.file(" \t\r\n{}\n\r\t ")),
  ("metadata null", Fixture.file(#"{"__metadata__":null}"#)),
  (
    "metadata after the tensors",
    Fixture.file("{\(Fixture.entry("a", "U8", "1", "0", "1")),\"__metadata__\":{\"k\":\"v\"}}", data: [7])
  ),
  (
    "125 nested arrays in an unknown field",
    Fixture.single(
      #""dtype":"U8","shape":[1],"data_offsets":[0,1],"zz":"# + String(repeating: "[", count: 125)
        + String(repeating: "]", count: 125))
  ),
  (
    "duplicate keys inside an unknown field",
    Fixture.single(#""dtype":"U8","shape":[1],"data_offsets":[0,1],"zz":{"k":1,"k":2}"#)
  ),
  ("empty name", Fixture.file("{\(Fixture.entry("", "U8", "1", "0", "1"))}", data: [1])),
  (
    "out of offset order",
    Fixture.file(
      "{\(Fixture.entry("b", "U8", "1", "1", "2")),\(Fixture.entry("a", "U8", "1", "0", "1"))}", data: [1, 2])
  ),
  (
    "zero-size tensors",
    Fixture.file("{\(Fixture.entry("z", "F32", "0,5", "0", "0")),\(Fixture.entry("y", "U8", "0", "0", "0"))}")
  ),
  ("0-d tensor", Fixture.file("{\(Fixture.entry("s", "F32", "", "0", "4"))}", data: [0, 0, 0x80, 0x3F])),
  ("4 F4 elements", Fixture.file("{\(Fixture.entry("f", "F4", "2,2", "0", "2"))}", data: [1, 2])),
  ("4 F6_E2M3 elements", Fixture.file("{\(Fixture.entry("f", "F6_E2M3", "4", "0", "3"))}", data: [1, 2, 3])),
  ("header length 5", Fixture.file("{}   ")),
  ("metadata key twice", Fixture.file(#"{"__metadata__":{"a":"b","a":"c"}}"#)),
  (
    "zero-size tensor with a dimension of 2^64-1",
    Fixture.file("{\(Fixture.entry("z", "F32", "0,18446744073709551615", "0", "0"))}")
  ),
]

/// The two cases where the reader once was stricter than the reference (safetensors 0.8.0) and now
/// agrees with it: a key repeated in `__metadata__` keeps its last value, and a tensor of no
/// elements may have a dimension above `Int.max`. A file written from such a file carries both,
/// and the Python reader sees the same metadata and shapes in the input and the output.
@Test func repeatedMetadataKeysAndHugeZeroSizeDimensionsAsTheReference() throws {
  let folder = try ScratchDirectory()
  let bytes = Fixture.file(
    "{\"__metadata__\":{\"a\":\"first\",\"b\":\"x\",\"a\":\"last\"},"
      + "\(Fixture.entry("z", "F32", "0,18446744073709551615", "0", "0")),"
      + "\(Fixture.entry("w", "U8", "18446744073709551615,0,3", "0", "0")),"
      + "\(Fixture.entry("u", "U8", "2", "0", "2"))}",
    data: [5, 6])
  let input = try Fixture.write(bytes, to: "in.safetensors", in: folder)
  let file = try SafeTensorsFile(path: FilePath(input))
  #expect(file.header.metadata == ["a": "last", "b": "x"])
  let z = try #require(file.header.tensor(named: "z"))
  #expect(z.dimensions == [0, UInt64.max])
  #expect(z.shape == [0, Int.max])
  #expect(z.elementCount == 0)
  #expect(file.header.tensor(named: "w")?.dimensions == [UInt64.max, 0, 3])
  // Copied into a new file: the exact dimensions and the last metadata value.
  let output = folder.path("out.safetensors").path
  try SafeTensorsWriter.write(
    file.header.tensors.map { TensorToWrite.copy(of: $0, in: file) }, metadata: file.header.metadata,
    to: FilePath(output))
  let written = try SafeTensorsFile(path: FilePath(output))
  #expect(written.header.tensor(named: "z")?.dimensions == [0, UInt64.max])
  #expect(written.header.tensor(named: "w")?.dimensions == [UInt64.max, 0, 3])
  #expect(written.header.metadata == ["a": "last", "b": "x"])
  #expect(written.data(of: try #require(written.header.tensor(named: "u"))) == [5, 6])
  let script = """
    import sys
    from safetensors import safe_open
    for path in sys.argv[1:]:
        with safe_open(path, framework="numpy") as f:
            shapes = {name: list(f.get_slice(name).get_shape()) for name in sorted(f.keys())}
            print(sorted(f.metadata().items()), shapes)
    """
  let lines = String(decoding: try TestEnvironment.runPython(script, arguments: [input, output]), as: UTF8.self)
    .split(separator: "\n").map(String.init)
  let expected =
    "[('a', 'last'), ('b', 'x')] {'u': [2], 'w': [18446744073709551615, 0, 3], 'z': [0, 18446744073709551615]}"
  #expect(lines == [expected, expected])
}

@Test func acceptedFilesParse() throws {
  for (label, bytes) in acceptedFiles {
    #expect(Fixture.errorKind(bytes) == nil, "\(label)")
  }
}

@Test func referenceAcceptsTheSameFiles() throws {
  let folder = try ScratchDirectory()
  var paths: [String] = []
  for (index, file) in acceptedFiles.enumerated() {
    paths.append(try Fixture.write(file.bytes, to: "ok\(index).safetensors", in: folder))
  }
  let script = """
    import sys
    from safetensors import safe_open
    for path in sys.argv[1:]:
        try:
            with safe_open(path, framework="numpy") as f:
                print(sorted(f.keys()))
        except Exception as e:
            print("rejected", e)
    """
  let output = String(decoding: try TestEnvironment.runPython(script, arguments: paths), as: UTF8.self)
  let lines = output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
  try #require(lines.count == acceptedFiles.count)
  for (file, line) in zip(acceptedFiles, lines) {
    let ours = try Fixture.parse(file.bytes).tensors.map(\.name.string).sorted()
    let expected = "[" + ours.map { "'\($0)'" }.joined(separator: ", ") + "]"
    #expect(line == expected, "\(file.label)")
  }
}

@Test func readsEveryField() throws {
  let bytes = Fixture.file(
    "{\(Fixture.entry("b", "U8", "3", "2", "5")),\"__metadata__\":{\"format\":\"pt\",\"é\":\"ü\"},\(Fixture.entry("a", "I16", "", "0", "2", extra: ",\"x\":null"))}",
    data: [1, 2, 3, 4, 5])
  let header = try Fixture.parse(bytes)
  #expect(header.tensors.map(\.name) == ["b", "a"])
  #expect(header.tensors[0] == TensorInfo(name: "b", dtype: .U8, shape: [3], dataOffsets: 2..<5))
  #expect(header.tensors[1] == TensorInfo(name: "a", dtype: .I16, shape: [], dataOffsets: 0..<2))
  #expect(header.tensors[1].elementCount == 1)
  #expect(header.tensors[0].byteCount == 3)
  #expect(header.metadata == ["format": "pt", "é": "ü"])
  #expect(header.dataStart == bytes.count - 5)
  #expect(header.tensor(named: "a")?.dtype == .I16)
  #expect(header.tensor(named: "c") == nil)
}

@Test func allTwentyTwoDTypes() throws {
  #expect(DType.allCases.count == 22)
  var entries: [String] = []
  var offset = 0
  for dtype in DType.allCases {
    let elements = dtype.bitSize < 8 ? 4 : 2
    let size = elements * dtype.bitSize / 8
    entries.append(Fixture.entry("t_\(dtype.rawValue)", dtype.rawValue, "\(elements)", "\(offset)", "\(offset + size)"))
    offset += size
  }
  let header = try Fixture.parse(
    Fixture.file("{" + entries.joined(separator: ",") + "}", data: Array(repeating: 0, count: offset)))
  #expect(header.tensors.map(\.dtype) == DType.allCases)
  #expect(DType.F4.bitSize == 4 && DType.F6_E2M3.bitSize == 6 && DType.C64.bitSize == 64 && DType.BF16.bitSize == 16)
  #expect(Set(DType.writeOrder) == Set(DType.allCases) && DType.writeOrder.count == 22)
}

@Test func namesAreBytesNotCanonicalStrings() throws {
  let composed = "\u{E9}"  // é
  let decomposed = "e\u{301}"  // e + combining acute
  #expect(composed == decomposed)  // Swift folds them...
  #expect(TensorName(composed) != TensorName(decomposed))  // ...names do not.
  #expect(Set([TensorName(composed), TensorName(decomposed)]).count == 2)
  #expect(TensorName(decomposed) < TensorName(composed))  // 0x65 < 0xC3
  let bytes = Fixture.file(
    "{\(Fixture.entry(composed, "U8", "1", "0", "1")),\(Fixture.entry(decomposed, "U8", "1", "1", "2"))}",
    data: [10, 20])
  let header = try Fixture.parse(bytes)
  #expect(header.tensors.count == 2)
  #expect(header.tensor(named: TensorName(composed))?.dataOffsets == 0..<1)
  #expect(header.tensor(named: TensorName(decomposed))?.dataOffsets == 1..<2)
}

@Test func readsUnalignedData() throws {
  // Header length 5 puts the data at offset 13: every F32 is unaligned.
  let values: [Float] = [1.5, -2.25, 3e10]
  let data = values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
  let bytes = Fixture.file(
    Array(#"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}"#.utf8) + [0x20, 0x20, 0x20], data: data)
  #expect((bytes.count - 12) % 8 != 0)
  let folder = try ScratchDirectory()
  let path = try Fixture.write(bytes, to: "u.safetensors", in: folder)
  let file = try SafeTensorsFile(path: FilePath(path))
  #expect(file.header.dataStart % 4 != 0)
  let tensor = try #require(file.header.tensor(named: "x"))
  #expect(file.absoluteRange(of: tensor) == (bytes.count - 12)..<bytes.count)
  let read = file.withData(of: tensor) { buffer in
    (0..<3).map {
      Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
    }
  }
  #expect(read == values)
  #expect(file.size == bytes.count)
  file.releasePages(in: 0..<file.size)
  #expect(file.withData(of: tensor) { Array($0) } == data)
}

@Test func errorDescriptionsAreOneLineWithThePath() throws {
  let error = SafeTensorsError.unknownDType(path: "/x/m.safetensors", tensor: "a\nb", dtype: "F128")
  #expect(error.description == #"/x/m.safetensors: tensor "a\nb" has unknown dtype "F128""#)
  #expect(SafeTensorsError.notFound(path: "p").description == "p: no such file or folder")
}

@Test func missingFileIsNotFound() throws {
  let folder = try ScratchDirectory()
  #expect(throws: SafeTensorsError.notFound(path: FilePath(folder.path("nope.safetensors").path))) {
    try SafeTensorsFile(path: FilePath(folder.path("nope.safetensors").path))
  }
  #expect { try SafeTensorsFile(path: FilePath(folder.url.path)) } throws: { ($0 as? SafeTensorsError)?.kind == .io }
}

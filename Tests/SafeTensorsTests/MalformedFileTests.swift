import Foundation
import SafeTensors
import SystemPackage
import TestSupport
import Testing

/// One malformed file and what the reader must say about it.
struct MalformedCase: Sendable, CustomTestStringConvertible {
  var label: String
  var bytes: [UInt8]
  var kind: SafeTensorsError.Kind
  /// Whether the Python reference rejects it too (false only for the documented exceptions).
  var referenceRejects = true
  var testDescription: String { label }
}

private let u8 = #""dtype":"U8","shape":[1],"data_offsets":[0,1]"#

let malformedCases: [MalformedCase] = [
  // 1. File shorter than 8 bytes.
  MalformedCase(label: "empty file", bytes: [], kind: .fileTooSmall),
  MalformedCase(label: "7 bytes", bytes: [2, 0, 0, 0, 0, 0, 0], kind: .fileTooSmall),
  // 2. Header length over 100,000,000.
  MalformedCase(label: "length 100000001", bytes: Fixture.file("{}", length: 100_000_001), kind: .headerTooLarge),
  MalformedCase(label: "length u64 max", bytes: Fixture.file("{}", length: .max), kind: .headerTooLarge),
  // 3. Header past the end.
  MalformedCase(
    label: "length 100000000 past end", bytes: Fixture.file("{}", length: 100_000_000), kind: .headerPastEnd),
  MalformedCase(label: "length 10, 2 bytes", bytes: Fixture.file("{}", length: 10), kind: .headerPastEnd),
  MalformedCase(label: "length 9, 8-byte header", bytes: Fixture.file("{}      ", length: 9), kind: .headerPastEnd),
  // 4. Header not UTF-8.
  MalformedCase(
    label: "0xFF in a key", bytes: Fixture.file(Array(#"{"a"#.utf8) + [0xFF] + Array(#"":1}"#.utf8)),
    kind: .invalidHeaderUTF8),
  MalformedCase(
    label: "0xFF in the padding", bytes: Fixture.file(Array("{}  ".utf8) + [0xFF]), kind: .invalidHeaderUTF8),
  MalformedCase(
    label: "UTF-8 encoded surrogate",
    bytes: Fixture.file(Array(#"{""#.utf8) + [0xED, 0xA0, 0x80] + Array(#"":1}"#.utf8)), kind: .invalidHeaderUTF8),
  MalformedCase(
    label: "overlong encoding", bytes: Fixture.file(Array(#"{""#.utf8) + [0xC0, 0xAF] + Array(#"":1}"#.utf8)),
    kind: .invalidHeaderUTF8),
  MalformedCase(
    label: "truncated sequence at the end", bytes: Fixture.file(Array("{} ".utf8) + [0xC3]), kind: .invalidHeaderUTF8),
  // 5. Not JSON, or not a JSON object of the right shape.
  MalformedCase(label: "empty header", bytes: Fixture.file(""), kind: .invalidHeaderJSON),
  MalformedCase(label: "header is an array", bytes: Fixture.file("[]"), kind: .invalidHeaderJSON),
  MalformedCase(label: "header is a string", bytes: Fixture.file(#""x""#), kind: .invalidHeaderJSON),
  MalformedCase(label: "header is null", bytes: Fixture.file("null"), kind: .invalidHeaderJSON),
  MalformedCase(label: "trailing comma", bytes: Fixture.single(u8 + ","), kind: .invalidHeaderJSON),
  MalformedCase(label: "unterminated object", bytes: Fixture.file(#"{"a":{"#), kind: .invalidHeaderJSON),
  MalformedCase(label: "form feed after the object", bytes: Fixture.file("{}\u{0C}"), kind: .invalidHeaderJSON),
  MalformedCase(label: "no-break space after the object", bytes: Fixture.file("{}\u{A0}"), kind: .invalidHeaderJSON),
  MalformedCase(label: "NUL padding", bytes: Fixture.file(Array("{}".utf8) + [0, 0]), kind: .invalidHeaderJSON),
  MalformedCase(label: "byte order mark", bytes: Fixture.file("\u{FEFF}{}"), kind: .invalidHeaderJSON),
  MalformedCase(label: "two objects", bytes: Fixture.file("{}{}"), kind: .invalidHeaderJSON),
  MalformedCase(
    label: "leading zero", bytes: Fixture.single(#""dtype":"U8","shape":[01],"data_offsets":[0,1]"#),
    kind: .invalidHeaderJSON),
  MalformedCase(
    label: "-0", bytes: Fixture.single(#""dtype":"U8","shape":[-0],"data_offsets":[0,0]"#, data: []),
    kind: .invalidHeaderJSON),
  MalformedCase(
    label: "1.0", bytes: Fixture.single(#""dtype":"U8","shape":[1.0],"data_offsets":[0,1]"#), kind: .invalidHeaderJSON),
  MalformedCase(
    label: "1e0", bytes: Fixture.single(#""dtype":"U8","shape":[1e0],"data_offsets":[0,1]"#), kind: .invalidHeaderJSON),
  MalformedCase(
    label: "negative dimension", bytes: Fixture.single(#""dtype":"U8","shape":[-1],"data_offsets":[0,1]"#),
    kind: .invalidHeaderJSON),
  MalformedCase(
    label: "offset 2^64", bytes: Fixture.single(#""dtype":"U8","shape":[1],"data_offsets":[0,18446744073709551616]"#),
    kind: .invalidHeaderJSON),
  MalformedCase(
    label: "offset as a string", bytes: Fixture.single(#""dtype":"U8","shape":[1],"data_offsets":["0",1]"#),
    kind: .invalidHeaderJSON),
  MalformedCase(
    label: "128 levels of nesting",
    bytes: Fixture.single(u8 + #","zz":"# + String(repeating: "[", count: 126) + String(repeating: "]", count: 126)),
    kind: .invalidHeaderJSON),
  MalformedCase(
    label: "three offsets", bytes: Fixture.single(#""dtype":"U8","shape":[1],"data_offsets":[0,1,2]"#),
    kind: .invalidHeaderJSON),
  MalformedCase(
    label: "one offset", bytes: Fixture.single(#""dtype":"U8","shape":[1],"data_offsets":[0]"#),
    kind: .invalidHeaderJSON),
  MalformedCase(
    label: "missing dtype", bytes: Fixture.single(#""shape":[1],"data_offsets":[0,1]"#), kind: .invalidHeaderJSON),
  MalformedCase(
    label: "missing shape", bytes: Fixture.single(#""dtype":"U8","data_offsets":[0,1]"#), kind: .invalidHeaderJSON),
  MalformedCase(
    label: "missing data_offsets", bytes: Fixture.single(#""dtype":"U8","shape":[1]"#), kind: .invalidHeaderJSON),
  MalformedCase(label: "tensor entry is a number", bytes: Fixture.file(#"{"a":1}"#), kind: .invalidHeaderJSON),
  MalformedCase(
    label: "duplicate field in an entry", bytes: Fixture.single(u8 + #","shape":[1]"#), kind: .invalidHeaderJSON),
  MalformedCase(
    label: "duplicate __metadata__", bytes: Fixture.file(#"{"__metadata__":{},"__metadata__":{}}"#),
    kind: .invalidHeaderJSON),
  MalformedCase(
    label: "shape is null", bytes: Fixture.single(#""dtype":"U8","shape":null,"data_offsets":[0,1]"#),
    kind: .invalidHeaderJSON),
  MalformedCase(
    label: "dtype is null", bytes: Fixture.single(#""dtype":null,"shape":[1],"data_offsets":[0,1]"#),
    kind: .invalidHeaderJSON),
  MalformedCase(
    label: "lone surrogate escape", bytes: Fixture.file(#"{"__metadata__":{"a":"\ud800"}}"#), kind: .invalidHeaderJSON),
  MalformedCase(
    label: "raw control character in a name", bytes: Fixture.file("{\"a\u{01}\":{\(u8)}}", data: [1]),
    kind: .invalidHeaderJSON),
  // __metadata__ must be a string-to-string map or null.
  MalformedCase(
    label: "metadata value is a number", bytes: Fixture.file(#"{"__metadata__":{"a":1}}"#), kind: .invalidMetadata),
  MalformedCase(label: "metadata is an array", bytes: Fixture.file(#"{"__metadata__":[]}"#), kind: .invalidMetadata),
  MalformedCase(label: "metadata is a string", bytes: Fixture.file(#"{"__metadata__":"x"}"#), kind: .invalidMetadata),
  MalformedCase(
    label: "tensor named __metadata__", bytes: Fixture.file("{\"__metadata__\":{\(u8)}}", data: [1]),
    kind: .invalidMetadata),
  // Unknown dtypes.
  MalformedCase(
    label: "dtype F128", bytes: Fixture.single(#""dtype":"F128","shape":[1],"data_offsets":[0,1]"#), kind: .unknownDType
  ),
  MalformedCase(
    label: "lower-case dtype", bytes: Fixture.single(#""dtype":"u8","shape":[1],"data_offsets":[0,1]"#),
    kind: .unknownDType),
  // Duplicate tensor names (stricter than the reference).
  MalformedCase(
    label: "tensor twice",
    bytes: Fixture.file(
      "{\(Fixture.entry("a", "U8", "1", "0", "1")),\(Fixture.entry("a", "U8", "1", "0", "1"))}", data: [1]),
    kind: .duplicateTensor, referenceRejects: false),
  // 6. Offsets, in offset order.
  MalformedCase(
    label: "first tensor not at 0",
    bytes: Fixture.single(#""dtype":"U8","shape":[1],"data_offsets":[1,2]"#, data: [1, 2]), kind: .invalidOffsets),
  MalformedCase(
    label: "end before begin",
    bytes: Fixture.file(
      "{\(Fixture.entry("a", "U8", "1", "0", "1")),\(Fixture.entry("b", "U8", "0", "1", "0"))}", data: [1]),
    kind: .invalidOffsets),
  MalformedCase(
    label: "overlapping tensors",
    bytes: Fixture.file(
      "{\(Fixture.entry("a", "U8", "2", "0", "2")),\(Fixture.entry("b", "U8", "1", "1", "2"))}", data: [1, 2]),
    kind: .invalidOffsets),
  MalformedCase(
    label: "gap between tensors",
    bytes: Fixture.file(
      "{\(Fixture.entry("a", "U8", "1", "0", "1")),\(Fixture.entry("b", "U8", "1", "2", "3"))}", data: [1, 2, 3]),
    kind: .invalidOffsets),
  // 7. Element and bit counts.
  MalformedCase(
    label: "element count overflows",
    bytes: Fixture.single(#""dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,1]"#), kind: .overflow),
  MalformedCase(
    label: "bit count overflows",
    bytes: Fixture.single(#""dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,1]"#), kind: .overflow),
  MalformedCase(
    label: "u64 max elements of U8",
    bytes: Fixture.single(#""dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,18446744073709551615]"#),
    kind: .overflow),
  MalformedCase(
    label: "3 F4 elements", bytes: Fixture.single(#""dtype":"F4","shape":[3],"data_offsets":[0,2]"#, data: [1, 2]),
    kind: .misalignedBits),
  MalformedCase(
    label: "1 F6_E3M2 element", bytes: Fixture.single(#""dtype":"F6_E3M2","shape":[1],"data_offsets":[0,1]"#),
    kind: .misalignedBits),
  // 8. Size equal to end - begin.
  MalformedCase(
    label: "U8 [2] in 1 byte", bytes: Fixture.single(#""dtype":"U8","shape":[2],"data_offsets":[0,1]"#),
    kind: .sizeMismatch),
  MalformedCase(
    label: "F32 [1] in 2 bytes",
    bytes: Fixture.single(#""dtype":"F32","shape":[1],"data_offsets":[0,2]"#, data: [1, 2]), kind: .sizeMismatch),
  MalformedCase(
    label: "0-d F64 in 4 bytes",
    bytes: Fixture.single(#""dtype":"F64","shape":[],"data_offsets":[0,4]"#, data: [1, 2, 3, 4]), kind: .sizeMismatch),
  // 9. The data must end exactly at the end of the file.
  MalformedCase(label: "one byte after the data", bytes: Fixture.single(u8, data: [1, 2]), kind: .trailingBytes),
  MalformedCase(label: "data after an empty header", bytes: Fixture.file("{}", data: [0]), kind: .trailingBytes),
  MalformedCase(
    label: "data cut short", bytes: Fixture.single(#""dtype":"U8","shape":[2],"data_offsets":[0,2]"#), kind: .truncated),
  MalformedCase(label: "no data at all", bytes: Fixture.single(u8, data: []), kind: .truncated),
]

@Test("the reader rejects each malformed file with its own error", arguments: malformedCases)
func readerRejects(_ testCase: MalformedCase) throws {
  #expect(Fixture.errorKind(testCase.bytes) == testCase.kind)
  // The same through a real file, and the message names the file.
  let folder = try ScratchDirectory()
  let path = try Fixture.write(testCase.bytes, to: "bad.safetensors", in: folder)
  do {
    _ = try SafeTensorsFile(path: FilePath(path))
    Issue.record("\(testCase.label) was accepted")
  } catch {
    #expect(error.kind == testCase.kind)
    #expect(error.description.hasPrefix("\(path): "))
    #expect(!error.description.contains("\n"))
  }
}

@Test func thereAreAtLeastFortyMalformedCases() {
  #expect(malformedCases.count >= 40)
  #expect(Set(malformedCases.map(\.label)).count == malformedCases.count)
}

/// The Python reference rejects the same files (except the documented, deliberate exceptions,
/// which it accepts).
@Test func referenceAgreesOnMalformedFiles() throws {
  let folder = try ScratchDirectory()
  var paths: [String] = []
  for (index, testCase) in malformedCases.enumerated() {
    paths.append(try Fixture.write(testCase.bytes, to: "case\(index).safetensors", in: folder))
  }
  let script = """
    import sys
    from safetensors import safe_open
    for path in sys.argv[1:]:
        try:
            with safe_open(path, framework="numpy") as f:
                list(f.keys())
            print("accepted")
        except Exception as e:
            print("rejected")
    """
  let output = String(decoding: try TestEnvironment.runPython(script, arguments: paths), as: UTF8.self)
  let verdicts = output.split(separator: "\n").map(String.init)
  try #require(verdicts.count == malformedCases.count)
  for (testCase, verdict) in zip(malformedCases, verdicts) {
    #expect(verdict == (testCase.referenceRejects ? "rejected" : "accepted"), "\(testCase.label)")
  }
}

/// Random corruptions of a valid file never trap or hang: each is accepted or rejected.
@Test func corruptedFilesNeverTrap() throws {
  let valid =
    try SafeTensorsWriter.header(
      for: [
        TensorToWrite(name: "a", dtype: .F32, shape: [2, 3], segments: []),
        TensorToWrite(name: "b\u{E9}", dtype: .F4, shape: [4], segments: []),
        TensorToWrite(name: "c", dtype: .I64, shape: [], segments: []),
      ], metadata: ["format": "pt"]) + Array(repeating: 0, count: 34)
  #expect(Fixture.errorKind(valid) == nil)
  var generator = SplitMix64(seed: 42)
  let interesting: [UInt8] = Array("{}[]\",:0123456789-.eE \t\n\\u".utf8) + [0, 0x7F, 0x80, 0xC3, 0xFF]
  var outcomes: [SafeTensorsError.Kind?: Int] = [:]
  for _ in 0..<20_000 {
    var bytes = valid
    for _ in 0..<Int(generator.next() % 4 + 1) {
      let position = Int(generator.next() % UInt64(bytes.count))
      switch generator.next() % 4 {
      case 0: bytes[position] = interesting[Int(generator.next() % UInt64(interesting.count))]
      case 1: bytes[position] = UInt8(truncatingIfNeeded: generator.next())
      case 2: bytes.remove(at: position)
      default: bytes.insert(interesting[Int(generator.next() % UInt64(interesting.count))], at: position)
      }
    }
    outcomes[Fixture.errorKind(bytes), default: 0] += 1
  }
  #expect(outcomes.count > 5)  // Many different verdicts, and no trap on the way.
}

/// A small deterministic random number generator.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

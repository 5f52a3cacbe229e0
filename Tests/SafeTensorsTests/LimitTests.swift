import Foundation
import SafeTensors
import SystemPackage
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The largest headers the format allows: read within bounded memory and time, or refused.
@Suite(.serialized) struct LimitTests {
  /// A safetensors file with `count` one-byte tensors `t0000000`… (a header of about 69 bytes each).
  static func manyTensors(_ count: Int, at url: URL) throws {
    var header: [UInt8] = []
    header.reserveCapacity(count * 70)
    header.append(UInt8(ascii: "{"))
    for index in 0..<count {
      if index > 0 { header.append(UInt8(ascii: ",")) }
      var name = String(index)
      name = "t" + String(repeating: "0", count: max(0, 7 - name.count)) + name
      header.append(
        contentsOf: "\"\(name)\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[\(index),\(index + 1)]}".utf8)
    }
    header.append(UInt8(ascii: "}"))
    while header.count % 8 != 0 { header.append(0x20) }
    var bytes: [UInt8] = []
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: header)
    bytes.append(contentsOf: repeatElement(7, count: count))
    try Data(bytes).write(to: url)
  }

  static func peakResidentMegabytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss / 1024
  }

  @Test func oneMillionTensors() throws {
    let scratch = try ScratchDirectory()
    let url = scratch.path("million.safetensors")
    try Self.manyTensors(1_000_000, at: url)
    let clock = ContinuousClock()
    let start = clock.now
    let file = try SafeTensorsFile(path: FilePath(url.path))
    print("1M tensors: \(clock.now - start), peak RSS \(Self.peakResidentMegabytes()) MB")
    #expect(file.header.tensors.count == 1_000_000)
    #expect(file.header.tensors.last?.name == TensorName("t0999999"))
    #expect(file.header.tensors.last?.dataOffsets == 999_999..<1_000_000)
    // The parsed tree is released once the header is decoded; the peak stays near 10 bytes per
    // header byte (about 700 MB here, 1 GB at the 100 MB limit).
    #expect(Self.peakResidentMegabytes() < 3000)
  }

  @Test func headerOf100MB() throws {
    let scratch = try ScratchDirectory()
    let url = scratch.path("big.safetensors")
    // The largest header the format allows: 100,000,000 bytes, nearly all one metadata string.
    let prefix = Array("{\"__metadata__\":{\"k\":\"".utf8)
    let suffix = Array("\"}}".utf8)
    let length = 100_000_000
    var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: 8 + length)
    withUnsafeBytes(of: UInt64(length).littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
    bytes.replaceSubrange(8..<(8 + prefix.count), with: prefix)
    bytes.replaceSubrange((8 + length - suffix.count)..<(8 + length), with: suffix)
    try Data(bytes).write(to: url)
    bytes = []
    let clock = ContinuousClock()
    let start = clock.now
    let file = try SafeTensorsFile(path: FilePath(url.path))
    print("100 MB header: \(clock.now - start), peak RSS \(Self.peakResidentMegabytes()) MB")
    #expect(file.header.metadata?["k"]?.utf8.count == length - prefix.count - suffix.count)
    #expect(Self.peakResidentMegabytes() < 3000)
  }

  @Test func aLongerHeaderIsRefusedBeforeItIsRead() throws {
    let scratch = try ScratchDirectory()
    let url = scratch.path("huge.safetensors")
    // A header length of 100,000,001 in a file of 16 bytes: refused from the length alone.
    var bytes: [UInt8] = []
    withUnsafeBytes(of: UInt64(100_000_001).littleEndian) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: "{}      ".utf8)
    try Data(bytes).write(to: url)
    #expect {
      _ = try SafeTensorsFile(path: FilePath(url.path))
    } throws: { error in
      (error as? SafeTensorsError)?.description
        == "\(url.path): header length 100000001 is over the limit of 100000000 bytes"
    }
  }
}

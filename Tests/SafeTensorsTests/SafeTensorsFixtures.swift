import Foundation
import SafeTensors
import SystemPackage
import TestSupport

/// Builds raw safetensors files for the tests.
enum Fixture {
  /// The 8-byte little-endian length, the header bytes and the data.
  static func file(_ header: [UInt8], data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
    var bytes: [UInt8] = []
    let value = length ?? UInt64(header.count)
    for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8((value >> UInt64(shift)) & 0xFF)) }
    return bytes + header + data
  }

  static func file(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
    file(Array(header.utf8), data: data, length: length)
  }

  /// `json` padded with spaces to a multiple of 8 bytes, as the writer pads headers.
  static func padded(_ json: String) -> String {
    json + String(repeating: " ", count: (8 - json.utf8.count % 8) % 8)
  }

  /// One tensor entry's JSON.
  static func entry(
    _ name: String, _ dtype: String, _ shape: String, _ begin: String, _ end: String, extra: String = ""
  ) -> String {
    "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(end)]\(extra)}"
  }

  /// A header with one `U8` tensor `a` of `shape`/`offsets` written verbatim.
  static func single(_ fields: String, data: [UInt8] = [0x78]) -> [UInt8] {
    file("{\"a\":{\(fields)}}", data: data)
  }

  /// Writes `bytes` to `name` in `folder` and returns the path.
  @discardableResult
  static func write(_ bytes: [UInt8], to name: String, in folder: ScratchDirectory) throws -> String {
    let url = folder.path(name)
    try Data(bytes).write(to: url)
    return url.path
  }

  /// Parses a whole file held in memory.
  static func parse(_ bytes: [UInt8], path: String = "test.safetensors") throws(SafeTensorsError) -> SafeTensorsHeader {
    let result = bytes.withUnsafeBytes { buffer in
      Result { () throws(SafeTensorsError) in try SafeTensorsHeader(parsing: buffer, path: FilePath(path)) }
    }
    return try result.get()
  }

  /// The kind of error parsing `bytes` throws, or `nil` when it parses.
  static func errorKind(_ bytes: [UInt8]) -> SafeTensorsError.Kind? {
    do {
      _ = try parse(bytes)
      return nil
    } catch {
      return error.kind
    }
  }
}

import EmbeddingSurgery
import Foundation
import SystemPackage
import TestSupport
import Testing

/// Token files at the edges: very many lines, very long lines, NUL bytes, invalid UTF-8.
@Suite struct TokenFileLimitTests {
  func write(_ bytes: [UInt8], _ name: String, in scratch: ScratchDirectory) throws -> String {
    let url = scratch.path(name)
    try Data(bytes).write(to: url)
    return url.path
  }

  @Test func aMillionLines() throws {
    let scratch = try ScratchDirectory()
    var bytes: [UInt8] = []
    bytes.reserveCapacity(9_000_000)
    for index in 0..<1_000_000 {
      bytes.append(contentsOf: "tok\(index)\n".utf8)
    }
    let list = try TokenList(contentsOf: FilePath(try write(bytes, "million.txt", in: scratch)))
    #expect(list.tokens.count == 1_000_000)
    #expect(list.tokens.last == "tok999999")
  }

  @Test func aLineOfOneMegabyte() throws {
    let scratch = try ScratchDirectory()
    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)
    bytes.append(contentsOf: "\r\nb\n".utf8)
    let list = try TokenList(contentsOf: FilePath(try write(bytes, "long.txt", in: scratch)))
    #expect(list.tokens.map(\.utf8.count) == [1 << 20, 1])
  }

  @Test func aNULByteNamesItsLine() throws {
    let scratch = try ScratchDirectory()
    let path = try write(Array("one\ntwo\nth\u{0}ree\n".utf8), "nul.txt", in: scratch)
    #expect {
      _ = try TokenList(contentsOf: FilePath(path))
    } throws: { error in
      (error as? SurgeryError)?.description == "\(path): line 3 contains a NUL byte"
    }
  }

  @Test func invalidUTF8NamesItsLine() throws {
    let scratch = try ScratchDirectory()
    var bytes = [UInt8](repeating: UInt8(ascii: "\n"), count: 999_999)
    bytes.append(contentsOf: [0x61, 0xC3, 0x28, 0x0A])
    let path = try write(bytes, "bad.txt", in: scratch)
    #expect {
      _ = try TokenList(contentsOf: FilePath(path))
    } throws: { error in
      (error as? SurgeryError)?.description == "\(path): line 1000000 is not valid UTF-8"
    }
  }

  @Test func aNULInAJSONTokenFileNamesItsElement() throws {
    let scratch = try ScratchDirectory()
    let path = try write(Array(#"["a", "b\u0000"]"#.utf8), "nul.json", in: scratch)
    #expect {
      _ = try TokenList(contentsOf: FilePath(path))
    } throws: { error in
      (error as? SurgeryError)?.description == "\(path): element 1 contains a NUL character"
    }
  }
}

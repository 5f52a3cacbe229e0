import EmbeddingSurgery
import Foundation
import SystemPackage
import TestSupport
import Testing

@Suite struct TokenListTests {
  func write(_ bytes: [UInt8], name: String = "tokens.txt", in scratch: ScratchDirectory) throws -> String {
    let url = scratch.path(name)
    try Data(bytes).write(to: url)
    return url.path
  }

  @Test func linesAreLiteralExceptTheirEnding() throws {
    let scratch = try ScratchDirectory()
    let path = try write(Array("<|a|>\r\n\n  spaced \n\ttab\r\nlast".utf8), in: scratch)
    #expect(try TokenList(contentsOf: FilePath(path)).tokens == ["<|a|>", "  spaced ", "\ttab", "last"])
  }

  @Test func aLoneCarriageReturnAtTheEndIsKept() throws {
    let scratch = try ScratchDirectory()
    let path = try write(Array("a\nb\r".utf8), in: scratch)
    #expect(try TokenList(contentsOf: FilePath(path)).tokens == ["a", "b\r"])
  }

  @Test func invalidUTF8NamesTheLine() throws {
    let scratch = try ScratchDirectory()
    let path = try write(Array("ok\nalso ok\n".utf8) + [0x61, 0xC3, 0x28, 0x0A], in: scratch)
    let error = #expect(throws: SurgeryError.self) { try TokenList(contentsOf: FilePath(path)) }
    guard case .invalidTextFile(_, let line, _)? = error else {
      Issue.record("unexpected error \(String(describing: error))")
      return
    }
    #expect(line == 3)
    #expect(error?.description == "\(path): line 3 is not valid UTF-8")
  }

  @Test func nulBytesAreRefused() throws {
    let scratch = try ScratchDirectory()
    let path = try write([0x61, 0x0A, 0x62, 0x00, 0x63], in: scratch)
    #expect(throws: SurgeryError.self) { try TokenList(contentsOf: FilePath(path)) }
  }

  @Test func jsonArraysHoldTokensWithNewlines() throws {
    let scratch = try ScratchDirectory()
    let path = try write(Array(#"["a\nb", "", "<x>"]"#.utf8), name: "tokens.json", in: scratch)
    #expect(try TokenList(contentsOf: FilePath(path)).tokens == ["a\nb", "<x>"])
    let bad = try write(Array(#"["a", 3]"#.utf8), name: "bad.json", in: scratch)
    #expect(throws: SurgeryError.self) { try TokenList(contentsOf: FilePath(bad)) }
    let notArray = try write(Array(#"{"a": 1}"#.utf8), name: "object.json", in: scratch)
    #expect(throws: SurgeryError.self) { try TokenList(contentsOf: FilePath(notArray)) }
  }

  @Test func aMissingFileIsAnIOError() {
    let error = #expect(throws: SurgeryError.self) { try TokenList(contentsOf: FilePath("/nonexistent/tokens.txt")) }
    guard case .fileSystem(let failure)? = error else {
      Issue.record("unexpected error \(String(describing: error))")
      return
    }
    #expect(failure.path == "/nonexistent/tokens.txt")
    #expect(failure.errno == .noSuchFileOrDirectory)
  }
}

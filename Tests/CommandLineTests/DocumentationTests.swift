import Foundation
import TestSupport
import Testing

/// What the documents promise of themselves: links that lead somewhere, and measurements that say
/// how, at which commit and when they were made.
@Suite struct DocumentationTests {
  static let root = TestEnvironment.repositoryRoot

  /// README.md, CONTRIBUTING.md and every Markdown file of docs/, relative to the root.
  static func documents() throws -> [String] {
    let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
    return ["README.md", "CONTRIBUTING.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
  }

  static func text(_ document: String) throws -> String {
    try String(contentsOf: root.appendingPathComponent(document), encoding: .utf8)
  }

  @Test func relativeLinksLeadToFilesAndHeadings() throws {
    var checked = 0
    for document in try Self.documents() {
      let text = try Self.text(document)
      let folder = (document as NSString).deletingLastPathComponent
      for match in text.matches(of: /\]\(([^)\s]+)\)/) {
        let target = String(match.output.1)
        guard !target.contains("://") else { continue }
        let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let path =
          parts[0].isEmpty
          ? document : ((folder as NSString).appendingPathComponent(parts[0]) as NSString).standardizingPath
        #expect(
          FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(path).path),
          "\(document): the link \(target) leads to no file")
        if parts.count == 2, path.hasSuffix(".md") {
          // GitHub's anchors: the heading lowercased, spaces to hyphens, punctuation dropped.
          let anchors = try Self.text(path).split(separator: "\n").filter { $0.hasPrefix("#") }.map { heading in
            String(
              heading.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces).lowercased()
                .compactMap { $0 == " " ? "-" : ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : nil })
          }
          #expect(anchors.contains(parts[1]), "\(document): the link \(target) leads to no heading of \(path)")
        }
        checked += 1
      }
    }
    #expect(checked > 10)
  }

  /// Every table of measurements in docs/performance.md is introduced, in its section, by the
  /// command that produced it, the commit it measured and the date.
  @Test func everyBenchmarkTableSaysItsCommandCommitAndDate() throws {
    let text = try Self.text("docs/performance.md")
    var tables = 0
    // The text since the last heading or table: what introduces the next table.
    var introduction: [Substring] = []
    var afterTable = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("|") {
        if line.hasPrefix("| --- ") || line.hasPrefix("|---") {
          tables += 1
          let before = introduction.joined(separator: "\n")
          #expect(before.contains("Command: `"), "a table without its command, after: \(introduction.suffix(2))")
          #expect(
            before.contains(/commit\s+[0-9a-f]{7}/) && before.contains(/20[0-9]{2}-[0-9]{2}-[0-9]{2}/),
            "a table without its commit and date, after: \(introduction.suffix(2))")
          afterTable = true
        }
        continue
      }
      if line.hasPrefix("#") || afterTable {
        introduction = []
        afterTable = false
      }
      introduction.append(line)
    }
    #expect(tables >= 4)
  }
}

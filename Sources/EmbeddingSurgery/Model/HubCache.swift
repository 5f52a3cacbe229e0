import FileSystem
import SystemPackage

/// A model named the way Hugging Face names it (`HuggingFaceTB/SmolLM2-135M`), found offline in
/// the local cache as `huggingface_hub` lays it out: `models--ORG--NAME/refs/REVISION` holds the
/// commit of a branch or tag, `models--ORG--NAME/snapshots/COMMIT/` the files (links into
/// `../../blobs/`). Nothing is ever downloaded.
public struct HubCache: Sendable {
  /// The cache folder: `HF_HUB_CACHE`, else `HF_HOME/hub`, else
  /// `XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`.
  public let folder: FilePath

  /// The cache folder the environment names.
  public init(environment: [String: String]) {
    func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
    if let hub = value("HF_HUB_CACHE") {
      folder = FilePath(hub)
    } else if let home = value("HF_HOME") {
      folder = FilePath(home).appending("hub")
    } else if let cache = value("XDG_CACHE_HOME") {
      folder = FilePath(cache).appending("huggingface").appending("hub")
    } else {
      folder = FilePath(value("HOME") ?? "/root").appending(".cache").appending("huggingface").appending("hub")
    }
  }

  /// The cache folder this process's environment names.
  public static var current: HubCache { HubCache(environment: CurrentProcess.environment) }

  /// Whether `name` has the shape of a repository id: `NAME` or `ORG/NAME`, each part letters,
  /// digits, `-`, `_` and `.`, not starting with `.` or `-`, without `..`.
  public static func isRepositoryID(_ name: String) -> Bool {
    let parts = name.split(separator: "/", omittingEmptySubsequences: false)
    guard (1...2).contains(parts.count), !name.contains("..") else { return false }
    return parts.allSatisfy { part in
      guard let first = part.first, first != ".", first != "-", part.count <= 96 else { return false }
      return part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
  }

  /// The snapshot folder of repository `id` at `revision` (a branch, a tag or a commit hash;
  /// `main` by default).
  ///
  /// - Throws: ``SurgeryError/notInCache(id:revision:lookedIn:)`` when the cache has no such
  ///   snapshot.
  public func snapshot(of id: String, revision: String? = nil) throws(SurgeryError) -> FilePath {
    let repository = folder.appending("models--" + id.split(separator: "/").joined(separator: "--"))
    let revision = revision ?? "main"
    var looked = [repository]
    let commit: String
    if Self.isCommitHash(revision) {
      commit = revision
    } else {
      let reference = repository.appending("refs").appending(revision)
      looked = [reference]
      guard let bytes = try? reference.readAll(),
        let text = String(validating: bytes, as: UTF8.self)?.trimmingWhitespace, Self.isCommitHash(text)
      else {
        throw .notInCache(id: id, revision: revision, lookedIn: looked)
      }
      commit = text
    }
    let snapshot = repository.appending("snapshots").appending(commit)
    guard snapshot.isFolder else {
      throw .notInCache(id: id, revision: revision, lookedIn: looked + [snapshot])
    }
    return snapshot
  }

  /// Whether `text` is a full commit hash (40 hexadecimal digits).
  static func isCommitHash(_ text: String) -> Bool {
    text.utf8.count == 40 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
  }
}

extension String {
  /// Without white space at either end.
  fileprivate var trimmingWhitespace: String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
      let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
    else { return "" }
    return String(scalars[first...last])
  }
}

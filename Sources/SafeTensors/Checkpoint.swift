import FileSystem
import StrictJSON
import Synchronization
import SystemPackage

/// A checkpoint: a `.safetensors` file, a folder with `model.safetensors`, or a folder with
/// `model.safetensors.index.json` and its shards. Shards are opened lazily and cached.
public final class Checkpoint: Sendable {
  /// The path the checkpoint was opened with.
  public let path: FilePath
  /// Whether `path` is a folder.
  public let isFolder: Bool
  /// The index of a sharded checkpoint; `nil` for a single file.
  public let index: ShardIndex?
  /// The safetensors file names, relative to ``folder`` (for a bare file, its last path
  /// component), sorted by bytes.
  public let fileNames: [String]
  /// The folder holding the files.
  public let folder: FilePath
  /// The path of the index file, when there is one.
  public var indexPath: FilePath? { index == nil ? nil : folder.appending(ShardIndex.fileName) }
  private let singleFilePath: FilePath?
  private let cache: Mutex<[[UInt8]: SafeTensorsFile]>

  private init(
    path: FilePath, isFolder: Bool, folder: FilePath, index: ShardIndex?, fileNames: [String], singleFilePath: FilePath?
  ) {
    self.path = path
    self.isFolder = isFolder
    self.folder = folder
    self.index = index
    self.fileNames = fileNames
    self.singleFilePath = singleFilePath
    cache = Mutex([:])
  }

  /// Opens the checkpoint at `path`. A single file is opened and validated at once; a folder with
  /// both `model.safetensors` and an index is read as the single file (as transformers does).
  ///
  /// - Throws: ``SafeTensorsError/notFound(path:)``, ``SafeTensorsError/notACheckpoint(path:reason:)``,
  ///   or the errors of reading the file or the index.
  public static func open(path: FilePath) throws(SafeTensorsError) -> Checkpoint {
    switch path.status()?.kind {
    case nil: throw .notFound(path: path)
    case .regular:
      let name = path.name
      let checkpoint = Checkpoint(
        path: path, isFolder: false, folder: path.folder, index: nil, fileNames: [name],
        singleFilePath: path)
      _ = try checkpoint.file(named: name)
      return checkpoint
    case .directory:
      let single = path.appending("model.safetensors")
      if single.status()?.kind == .regular {
        let checkpoint = Checkpoint(
          path: path, isFolder: true, folder: path, index: nil, fileNames: ["model.safetensors"],
          singleFilePath: single)
        _ = try checkpoint.file(named: "model.safetensors")
        return checkpoint
      }
      let indexPath = path.appending(ShardIndex.fileName)
      guard indexPath.status() != nil else {
        throw .notACheckpoint(
          path: path, reason: "no model.safetensors or \(ShardIndex.fileName) in this folder")
      }
      let index = try ShardIndex.read(path: indexPath)
      var names: [String] = []
      var seen: Set<[UInt8]> = []
      for shard in index.weightMap.values where seen.insert(Array(shard.utf8)).inserted {
        names.append(shard)
      }
      names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      return Checkpoint(path: path, isFolder: true, folder: path, index: index, fileNames: names, singleFilePath: nil)
    default:
      throw .notACheckpoint(path: path, reason: "not a regular file or a folder")
    }
  }

  /// The file `name` (one of ``fileNames``), opened and validated on first use, then cached.
  /// Safe to call from several threads.
  public func file(named name: String) throws(SafeTensorsError) -> SafeTensorsFile {
    let key = Array(name.utf8)
    guard fileNames.contains(where: { $0.utf8.elementsEqual(key) }) else {
      throw .notACheckpoint(path: path, reason: "the checkpoint has no file named \(name)")
    }
    let filePath = singleFilePath ?? folder.appending(name)
    return try cache.withLock { (files) throws(SafeTensorsError) -> SafeTensorsFile in
      if let file = files[key] { return file }
      let file = try SafeTensorsFile(path: filePath)
      files[key] = file
      return file
    }
  }

  /// Every tensor of the checkpoint with the file holding it, sorted by name bytes.
  ///
  /// For a sharded checkpoint this opens every shard and checks the index's claims: every tensor
  /// it lists is in its shard, and every tensor of a shard is listed once, for that shard.
  public func tensors() throws(SafeTensorsError) -> [(info: TensorInfo, fileName: String)] {
    var result: [(info: TensorInfo, fileName: String)] = []
    var owners: [TensorName: String] = [:]
    for name in fileNames {
      let file = try file(named: name)
      for info in file.header.tensors {
        if let other = owners[info.name] {
          throw .indexMismatch(
            path: indexPath ?? path,
            reason: "tensor \(JSONWriter.quoted(info.name.string)) is in both \(other) and \(name)")
        }
        owners[info.name] = name
        result.append((info, name))
      }
    }
    if let index, let indexPath {
      for (tensor, shard) in index.weightMap.sorted(by: { $0.key < $1.key }) {
        guard let owner = owners[tensor], owner.utf8.elementsEqual(shard.utf8) else {
          throw .tensorMissingFromShard(path: indexPath, tensor: tensor, shard: shard)
        }
      }
      for (tensor, owner) in owners where index.weightMap[tensor] == nil {
        throw .indexMismatch(
          path: indexPath, reason: "tensor \(JSONWriter.quoted(tensor.string)) of \(owner) is not in the weight_map")
      }
    }
    result.sort { $0.info.name < $1.info.name }
    return result
  }

  /// The name of the file holding the tensor `name`, or `nil` when the checkpoint has none.
  public func location(of name: TensorName) throws(SafeTensorsError) -> String? {
    if let index { return index.weightMap[name] }
    guard let only = fileNames.first else { return nil }
    return try file(named: only).header.tensor(named: name) == nil ? nil : only
  }
}

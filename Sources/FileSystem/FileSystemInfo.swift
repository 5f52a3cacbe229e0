import CFileSystem
import SystemPackage

/// Facts about the file system holding a file (`fstatfs`).
public enum FileSystemInfo {
  /// The block size of the file system holding the open file: the unit in which copy-on-write
  /// file systems share data.
  ///
  /// - Parameter path: the file's path, for the error.
  public static func blockSize(of descriptor: FileDescriptor, path: FilePath) throws(FileSystemError) -> Int {
    var size: Int64 = 0
    switch SystemCall.retrying({ cfilesystem_block_size(descriptor.rawValue, &size) }) {
    case .success: return max(Int(size), 1)
    case .failure(let code): throw .failed(operation: "statfs", path: path, errno: code)
    }
  }
}

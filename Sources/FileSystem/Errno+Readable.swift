import SystemPackage

extension Errno {
  /// The C name of the common codes (`ENOSPC`), else `errno N`: the one table of names.
  public var symbolicName: String {
    switch self {
    case .noSpace: "ENOSPC"
    case .diskQuotaExceeded: "EDQUOT"
    case .readOnlyFileSystem: "EROFS"
    case .permissionDenied: "EACCES"
    case .notPermitted: "EPERM"
    case .ioError: "EIO"
    case .noSuchFileOrDirectory: "ENOENT"
    case .fileExists: "EEXIST"
    case .isDirectory: "EISDIR"
    case .notDirectory: "ENOTDIR"
    case .invalidArgument: "EINVAL"
    case .improperLink: "EXDEV"
    case .notSupported: "EOPNOTSUPP"
    case .noFunction: "ENOSYS"
    case .badFileDescriptor: "EBADF"
    case .textFileBusy: "ETXTBSY"
    case .tooManyOpenFiles: "EMFILE"
    case .directoryNotEmpty: "ENOTEMPTY"
    case .interrupted: "EINTR"
    default: "errno \(rawValue)"
    }
  }

  /// `strerror`'s text with the symbolic name: `"No space left on device (ENOSPC)"`.
  public var readableDescription: String { "\(description) (\(symbolicName))" }
}

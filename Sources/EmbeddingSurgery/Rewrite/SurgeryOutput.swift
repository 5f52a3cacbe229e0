import SystemPackage

/// Where a surgery writes its result.
public enum SurgeryOutput: Sendable, Equatable {
  /// A new file or folder at a path; `replacingExisting` allows replacing what is there
  /// (kept intact until the new one is complete).
  case path(FilePath, replacingExisting: Bool)
  /// Over the input itself, once the complete new checkpoint has been built beside it.
  case inPlace
}

import SystemPackage

extension FilePath {
  /// The folder holding this path: `.` for a bare name, `/` for a name at the root.
  ///
  /// Trailing separators are ignored: the folder of `a/b/` is `a`.
  public var folder: FilePath {
    let parent = removingLastComponent()
    if parent.isEmpty { return isAbsolute ? "/" : "." }
    return parent
  }

  /// The last component as a string (`""` for an empty path or the root).
  public var name: String { lastComponent?.string ?? "" }

}

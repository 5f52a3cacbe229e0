// libFuzzer target: trimming a tokenizer to a corpus.
// The input bytes drive a generator of a small tokenizer.json (BPE plain, byte-level or with byte
// fallback; WordPiece; Unigram, with random scores and byte fallback), added tokens, a corpus and
// tokens to keep. The corpus is recorded, trimmed and rewritten; invariants: the trimmed file
// loads in this engine and encodes every corpus text to the same token strings, with ids that
// map back through the id map; the map is dense and order-preserving; a text the original
// encodes, the trimmed one encodes too.
import FuzzSupport
import StrictJSON
import Tokenization

enum ModelKind: CaseIterable { case bpe, byteLevel, byteFallback, wordPiece, unigram }

func string(_ scalars: [String]) -> JSONValue { .string(scalars.joined()) }

/// A random tokenizer.json and corpus.
func generate(_ source: inout Source) -> (json: JSONValue, corpus: [String], keep: [String]) {
  let kind = source.pick(ModelKind.allCases)
  // Small alphabets repeat themselves, which makes the rare cases (two paths to a token, a
  // greedy match that leads nowhere) common.
  let letters =
    kind == .byteLevel
    ? ["a", "b", "c", "Ġ", "Ã", "©", "ä", "Ĥ"]
    : ["a", "b", "c", "d", "é", "▁", "中", "😀"]
  let alphabet = Array(letters.prefix(2 + source.below(letters.count - 1)))
  let textAlphabet = alphabet + [" ", "z", "<x>", "\n", "##", "ß"].prefix(source.below(7))
  var corpus: [String] = []
  for _ in 0..<(1 + source.below(6)) {
    corpus.append((0..<source.below(16)).map { _ in source.pick(textAlphabet) }.joined())
  }
  /// A piece of the corpus (so that pieces match often and long), or random characters.
  func piece(_ source: inout Source) -> String {
    let length = 1 + source.below(4)
    let text = Array(source.pick(corpus).unicodeScalars)
    guard source.below(4) != 0, text.count >= length else {
      return (0..<length).map { _ in source.pick(alphabet) }.joined()
    }
    let start = source.below(text.count - length + 1)
    return String(String.UnicodeScalarView(text[start..<(start + length)]))
  }
  var vocab: [String] = []
  var members: [JSONMember] = []
  var merges: [JSONValue] = []
  var model: [JSONMember] = []
  func add(_ token: String) {
    guard !token.isEmpty, !vocab.contains(where: { $0.utf8.elementsEqual(token.utf8) }) else { return }
    vocab.append(token)
  }
  switch kind {
  case .bpe, .byteLevel, .byteFallback:
    let pairs = source.flag()
    if kind == .byteFallback || source.flag() { add("<unk>") }
    for scalar in alphabet where source.below(4) != 0 { add(scalar) }
    if kind == .byteFallback {
      for byte in [0x20, 0x61, 0x62, 0x7A, 0xC3, 0xA9, 0xE2, 0x96, 0x81, 0xF0, 0x9F, 0x98, 0x80]
      where source.below(5) != 0 {
        add("<0x" + String(byte, radix: 16, uppercase: true) + ">")
      }
    }
    let base = vocab.filter { $0 != "<unk>" && !$0.hasPrefix("<0x") }
    var tokens = base
    for _ in 0..<source.below(24) where !tokens.isEmpty {
      let left = source.pick(tokens)
      let right = source.pick(tokens)
      let merged = left + right
      guard merged.unicodeScalars.count <= 6 else { continue }
      add(merged)
      if !tokens.contains(merged) { tokens.append(merged) }
      merges.append(pairs ? .array([.string(left), .string(right)]) : .string(left + " " + right))
    }
    model = [
      JSONMember("type", "BPE"), JSONMember("dropout", nil),
      JSONMember("unk_token", vocab.contains("<unk>") ? "<unk>" : nil),
      JSONMember("continuing_subword_prefix", nil), JSONMember("end_of_word_suffix", nil),
      JSONMember("fuse_unk", .bool(source.flag())),
      JSONMember("byte_fallback", .bool(kind == .byteFallback)),
      JSONMember("ignore_merges", .bool(source.flag())),
    ]
  case .wordPiece:
    add("[UNK]")
    for _ in 0..<(4 + source.below(24)) {
      let piece = piece(&source)
      if !piece.unicodeScalars.contains(" ") { add(source.flag() ? "##" + piece : piece) }
    }
    model = [
      JSONMember("type", "WordPiece"), JSONMember("unk_token", "[UNK]"),
      JSONMember("continuing_subword_prefix", "##"),
      JSONMember("max_input_chars_per_word", number(2 + source.below(8))),
    ]
  case .unigram:
    add("<unk>")
    for _ in 0..<(3 + source.below(24)) { add(piece(&source)) }
    let byteFallback = source.flag()
    if byteFallback {
      for byte in [0x61, 0x62, 0x7A, 0xC3, 0xA9, 0xE4, 0xB8, 0xAD] where source.flag() {
        add("<0x" + String(byte, radix: 16, uppercase: true) + ">")
      }
    }
    // Integer scores from -20 to 15, so that ties happen, and a piece can outscore the unknown
    // penalty of 10.
    let scores = vocab.indices.map { index in
      index == 0 ? JSONValue.number(JSONNumber(0)) : .number(JSONNumber(source.below(36) - 20))
    }
    model = [
      JSONMember("type", "Unigram"), JSONMember("unk_id", number(0)),
      JSONMember("vocab", .array(zip(vocab, scores).map { .array([.string($0), $1]) })),
      JSONMember("byte_fallback", .bool(byteFallback)),
    ]
  }
  if vocab.isEmpty { add(alphabet[0]) }
  if kind != .unigram {
    members = vocab.enumerated().map { JSONMember($1, number($0)) }
    model.append(JSONMember("vocab", .object(members)))
    if kind != .wordPiece { model.append(JSONMember("merges", .array(merges))) }
  }
  // Added tokens: a new one, and maybe one of the vocabulary.
  var added: [JSONValue] = []
  var nextID = vocab.count
  for content in ["<x>", source.pick(vocab)] where source.flag() {
    let id = vocab.firstIndex(of: content) ?? nextID
    if id == nextID { nextID += 1 }
    added.append(
      .object([
        JSONMember("id", number(id)), JSONMember("content", .string(content)),
        JSONMember("single_word", .bool(source.flag())), JSONMember("lstrip", .bool(source.flag())),
        JSONMember("rstrip", .bool(source.flag())), JSONMember("normalized", .bool(source.flag())),
        JSONMember("special", .bool(source.flag())),
      ]))
  }
  let preTokenizer: JSONValue
  switch kind {
  case .byteLevel:
    preTokenizer = .object([
      JSONMember("type", "ByteLevel"), JSONMember("add_prefix_space", .bool(source.flag())),
      JSONMember("trim_offsets", true), JSONMember("use_regex", .bool(source.flag())),
    ])
  case .wordPiece: preTokenizer = .object([JSONMember("type", "WhitespaceSplit")])
  default:
    preTokenizer =
      source.flag()
      ? .object([
        JSONMember("type", "Metaspace"), JSONMember("replacement", "▁"),
        JSONMember("prepend_scheme", "always"), JSONMember("split", .bool(source.flag())),
      ]) : .null
  }
  let json = JSONValue.object([
    JSONMember("version", "1.0"), JSONMember("added_tokens", .array(added)),
    JSONMember("normalizer", nil), JSONMember("pre_tokenizer", preTokenizer),
    JSONMember("post_processor", nil), JSONMember("decoder", nil),
    JSONMember("model", .object(model)),
  ])
  let keep = source.flag() ? [source.pick(vocab), "not-a-token"] : []
  return (json, corpus, keep)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  var source = Source(data, count: size)
  let (json, corpus, keep) = generate(&source)
  let text = Array(JSONWriter.string(json, style: .pretty(indent: 2)).utf8)
  // Files the engine refuses (an unknown token missing, ...) are not this target's business.
  guard let file = try? TokenizerFile(bytes: text, path: "fuzz.json") else { return 0 }
  let tokenizer = file.tokenizer
  var usage = TokenUsage(for: tokenizer)
  var encodings: [Encoding] = []
  for text in corpus {
    guard let encoding = try? tokenizer.encode(text, recordingInto: &usage) else { return 0 }
    encodings.append(encoding)
  }
  let plan: TokenizerTrim
  let bytes: [UInt8]
  do {
    plan = try TokenizerTrim(file: file, usage: usage, keepTokens: keep)
    bytes = try plan.rewriteTokenizerJSON(file)
  } catch {
    fail("trimming a valid tokenizer failed: \(error)")
  }
  // The map: dense, ascending, each kept id a token.
  let map = plan.idMap
  check(map.keptIDs == map.keptIDs.sorted() && Set(map.keptIDs).count == map.keptIDs.count, "order")
  for (new, old) in map.keptIDs.enumerated() {
    check(map[old] == new && tokenizer.vocabulary.token(of: old) != nil, "map")
  }
  check(plan.skippedKeepTokens == keep.filter { tokenizer.vocabulary.id(of: $0) == nil }, "skipped")
  let trimmed: TokenizerFile
  do {
    trimmed = try TokenizerFile(bytes: bytes, path: "trimmed.json")
  } catch {
    fail("the trimmed file does not load: \(error)\n\(String(decoding: bytes, as: UTF8.self))")
  }
  check(trimmed.tokenizer.vocabulary.size == map.newCount, "trimmed size")
  for (text, before) in zip(corpus, encodings) {
    guard let after = try? trimmed.tokenizer.encode(text) else {
      fail("the trimmed tokenizer fails on corpus text \(text.debugDescription)")
    }
    check(
      before.tokens.count == after.tokens.count
        && zip(before.tokens, after.tokens).allSatisfy { $0.utf8.elementsEqual($1.utf8) },
      "\(text.debugDescription): \(before.tokens) became \(after.tokens)\n\(String(decoding: file.bytes, as: UTF8.self))"
    )
    check(before.ids == after.ids.map { map.oldID(of: $0) ?? -1 }, "ids of \(text.debugDescription)")
  }
  // Other texts: what the original encodes, the trimmed encodes.
  for other in ["abc d", "zz 中😀 é", "<x> a", "▁a b▁", "ÃĤ ©"] where (try? tokenizer.encode(other)) != nil {
    check((try? trimmed.tokenizer.encode(other)) != nil, "\(other.debugDescription) no longer encodes")
  }
  return 0
}

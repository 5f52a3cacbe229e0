/// A hand-written matcher for one of the split patterns real tokenizers use, chosen instead of the
/// regular expression (``ScalarRegex``) when a tokenizer.json's pattern is exactly that pattern's
/// text: the same matches, several times faster.
///
/// Each matcher follows Oniguruma's semantics as the HF library applies them: scalar by scalar,
/// the leftmost alternative that matches at a position wins, greedy quantifiers backtrack
/// (`\s+(?!\S)` gives back a space to the next word), `(?i:...)` folds case as Unicode's case
/// folding does (`'ſ` is a contraction, as `'s` is). Every pattern here matches at every position,
/// so the matches cover the text.
enum CommonSplitPattern: Sendable, CaseIterable {
  /// GPT-2's, which `ByteLevel` applies with `use_regex` (SmolLM, GPT-2, RoBERTa, DeepSeek-V1).
  case gpt2
  /// Llama 3's (and DeepSeek-V3's): case-insensitive contractions, a word takes one leading
  /// non-letter, numbers in groups of up to three.
  case llama3
  /// Qwen2's: Llama 3's with single digits.
  case qwen2
  /// Mistral's Tekken: cased words (`Hello`, `HTML`), single digits, no contractions.
  case tekken
  /// OpenAI's o200k (GPT-4o): Tekken's cased words with a trailing contraction, numbers in groups
  /// of up to three.
  case o200k

  /// The pattern text the matcher stands for, exactly as tokenizer.json files spell it.
  var pattern: String {
    switch self {
    case .gpt2: #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    case .llama3:
      #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    case .qwen2:
      #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    case .tekken:
      #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    case .o200k:
      #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    }
  }

  /// The matcher for `pattern`, or `nil` when the text is not exactly one of the known patterns.
  init?(pattern: String) {
    guard let known = Self.allCases.first(where: { $0.pattern == pattern }) else { return nil }
    self = known
  }

  /// The scalar ranges of the successive matches in `scalars`, as ``ScalarRegex/matches(in:)``
  /// gives them for ``pattern``: consecutive, covering the text.
  ///
  /// - Complexity: O(*n*) in the scalars.
  func matches(in scalars: [Unicode.Scalar]) -> [Range<Int>] {
    var result: [Range<Int>] = []
    PatternClasses.basicPlane.withUnsafeBufferPointer { table in
      scalars.withUnsafeBufferPointer { buffer in
        let text = ClassifiedScalars(scalars: buffer, table: table)
        var start = 0
        while start < text.count {
          let match = matchEnd(in: text, at: start)
          assert(match > start, "every position starts a match")
          // (Never an empty match, so never a loop that stands still.)
          let end = max(match, start + 1)
          result.append(start..<end)
          start = end
        }
      }
    }
    return result
  }

  /// Where the match that starts at `start` ends.
  private func matchEnd(in text: ClassifiedScalars, at start: Int) -> Int {
    switch self {
    case .gpt2: gpt2End(in: text, at: start)
    case .llama3: modernEnd(in: text, at: start, digits: 3)
    case .qwen2, .tekken: modernEnd(in: text, at: start, digits: 1)
    case .o200k: modernEnd(in: text, at: start, digits: 3)
    }
  }

  /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
  private func gpt2End(in text: ClassifiedScalars, at start: Int) -> Int {
    if let end = Self.contractionEnd(in: text, at: start, foldingCase: false) { return end }
    // ` ?` then a run of one class: the space is taken when a run follows it.
    var runStart = start
    if text[start] == " " && !text.isIn(.whitespace, at: start + 1) && start + 1 < text.count {
      runStart = start + 1
    }
    let classes = text.classes(at: runStart)
    for run: PatternClasses in [.letter, .number, .other] where classes.contains(run) {
      return text.runEnd(of: run, from: runStart)
    }
    return Self.whitespaceEnd(in: text, at: start)
  }

  /// The patterns after GPT-2's: Llama 3, Qwen2, Tekken and o200k.
  private func modernEnd(in text: ClassifiedScalars, at start: Int, digits: Int) -> Int {
    let classes = text.classes(at: start)
    switch self {
    case .llama3, .qwen2:
      // (?i:'s|'t|'re|'ve|'m|'ll|'d)
      if let end = Self.contractionEnd(in: text, at: start, foldingCase: true) { return end }
      // [^\r\n\p{L}\p{N}]?\p{L}+
      if classes.isDisjoint(with: [.lineBreak, .letter, .number]) && text.isIn(.letter, at: start + 1) {
        return text.runEnd(of: .letter, from: start + 1)
      }
      if classes.contains(.letter) { return text.runEnd(of: .letter, from: start) }
    default:
      if let end = casedWordEnd(in: text, at: start) { return end }
    }
    // \p{N}{1,3} or \p{N}
    if classes.contains(.number) { return min(text.runEnd(of: .number, from: start), start + digits) }
    //  ?[^\s\p{L}\p{N}]+[\r\n]* (or [\r\n/]*)
    var runStart = start
    if text[start] == " " && text.isIn(.other, at: start + 1) { runStart = start + 1 }
    if text.isIn(.other, at: runStart) {
      var end = text.runEnd(of: .other, from: runStart)
      let slash = self == .tekken || self == .o200k
      while end < text.count && (text[end] == "\r" || text[end] == "\n" || (slash && text[end] == "/")) {
        end += 1
      }
      return end
    }
    // \s*[\r\n]+: the whitespace run up to its last line break.
    let runEnd = text.runEnd(of: .whitespace, from: start)
    var lastBreak = runEnd - 1
    while lastBreak >= start && !text.isIn(.lineBreak, at: lastBreak) { lastBreak -= 1 }
    if lastBreak >= start { return lastBreak + 1 }
    return Self.whitespaceEnd(in: text, at: start)
  }

  /// Tekken's and o200k's words:
  /// `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+` then
  /// `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*`, each followed
  /// by an optional contraction in o200k; `nil` when neither matches.
  private func casedWordEnd(in text: ClassifiedScalars, at start: Int) -> Int? {
    let prefixed = text.classes(at: start).isDisjoint(with: [.lineBreak, .letter, .number])
    // The optional leading scalar is tried first taken, then not.
    let bodies = prefixed ? [start + 1, start] : [start]
    var end: Int? = nil
    // Head* Tail+: the head run gives back scalars until a tail scalar follows it.
    for body in bodies where end == nil {
      var split = text.runEnd(of: .wordHead, from: body)
      while split >= body {
        if text.isIn(.wordTail, at: split) {
          end = text.runEnd(of: .wordTail, from: split)
          break
        }
        split -= 1
      }
    }
    // Head+ Tail*.
    for body in bodies where end == nil {
      let split = text.runEnd(of: .wordHead, from: body)
      if split > body { end = text.runEnd(of: .wordTail, from: split) }
    }
    guard let end else { return nil }
    if self == .o200k, let suffixEnd = Self.contractionEnd(in: text, at: end, foldingCase: true) {
      return suffixEnd
    }
    return end
  }

  /// `'s|'t|'re|'ve|'m|'ll|'d` at `start`, with `(?i:...)` when `foldingCase`: where it ends, or
  /// `nil`.
  private static func contractionEnd(in text: ClassifiedScalars, at start: Int, foldingCase: Bool) -> Int? {
    guard start + 1 < text.count, text[start] == "'" else { return nil }
    func letter(_ index: Int) -> UInt32? {
      guard index < text.count else { return nil }
      let value = text[index].value
      guard foldingCase else { return value }
      // Case folding maps A-Z to a-z and U+017F (long s) to s; nothing else folds to these letters.
      if (0x41...0x5A).contains(value) { return value + 0x20 }
      return value == 0x17F ? 0x73 : value
    }
    switch letter(start + 1) {
    case 0x73, 0x74, 0x6D, 0x64: return start + 2  // s t m d
    case 0x72, 0x76: return letter(start + 2) == 0x65 ? start + 3 : nil  // re ve
    case 0x6C: return letter(start + 2) == 0x6C ? start + 3 : nil  // ll
    default: return nil
    }
  }

  /// `\s+(?!\S)|\s+` at `start` (a whitespace scalar): the run, less its last scalar when a
  /// non-space follows and the run has more than one.
  private static func whitespaceEnd(in text: ClassifiedScalars, at start: Int) -> Int {
    let end = text.runEnd(of: .whitespace, from: start)
    return end == text.count || end - start == 1 ? end : end - 1
  }
}

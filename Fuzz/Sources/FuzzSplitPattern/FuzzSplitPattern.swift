// libFuzzer target: the hand-written matchers of the common split patterns (GPT-2's, Llama 3's,
// Qwen2's, Tekken's, o200k's) against the regular expressions they replace.
// The first input byte picks a pattern; each further byte picks a scalar of a biased alphabet
// (letters of every case in and out of the Basic Multilingual Plane, marks, numbers, spaces,
// line breaks, apostrophes and the contractions' letters, punctuation, `/`, emoji, unassigned).
// Invariant: a tokenizer whose `Split` has the exact pattern (matched by hand) cuts the text into
// the same pieces as one whose pattern is the same expression in other words (Swift's Regex), and `ByteLevel` with `use_regex` as `Split` of GPT-2's pattern then `ByteLevel` without.
// U+017F (long s) is left out: in `(?i:...)` the matchers fold it to `s` as Oniguruma does and
// Swift's Regex does not (the unit tests check it against the HF library).
import Glibc
import StrictJSON
import Tokenization

let patterns = [
  #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#,
  #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
  #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
  #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
  #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
]

let alphabet = Array(
  "aZé中ǅʰжЖ𝐀𐐀\u{301}\u{903}\u{20DD}07٣Ⅻ½ \t\u{A0}\u{2028}\u{3000}\u{85}\r\n'stdmrevlSTDMREVLk.,!?/-\"😀\u{378}\u{E000}  ''\n\r"
    .unicodeScalars)

func fail(_ message: String) -> Never {
  var text = "SplitPattern invariant failed: \(message)\n"
  text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
  abort()
}

func object(_ members: KeyValuePairs<String, JSONValue>) -> JSONValue {
  .object(members.map { JSONMember($0.key, $0.value) })
}

/// A tokenizer with `preTokenizer` and an empty BPE model.
func tokenizer(_ preTokenizer: JSONValue) -> Tokenizer {
  let json: JSONValue = object([
    "normalizer": .null, "pre_tokenizer": preTokenizer,
    "model": object(["type": .string("BPE"), "vocab": .object([]), "merges": .array([])]),
  ])
  do {
    return try Tokenizer(json: json, path: "fuzz.json")
  } catch {
    fail("the tokenizer does not load: \(error)")
  }
}

func split(_ pattern: String) -> JSONValue {
  object([
    "type": .string("Split"), "pattern": object(["Regex": .string(pattern)]),
    "behavior": .string("Isolated"), "invert": .bool(false),
  ])
}

func byteLevel(regex: Bool) -> JSONValue {
  object([
    "type": .string("ByteLevel"), "add_prefix_space": .bool(false), "trim_offsets": .bool(true),
    "use_regex": .bool(regex),
  ])
}

/// The same expression in other words (its last `\s+` as `\s{1,}`), which is not recognized and
/// stays a regular expression.
func regexOnly(_ pattern: String) -> String {
  precondition(pattern.hasSuffix(#"|\s+"#))
  return pattern.dropLast(3) + #"\s{1,}"#
}

/// The number of comparisons: one per pattern, then `ByteLevel`'s own use of GPT-2's.
let comparisons = patterns.count + 1

/// Comparison `index`: (matched by hand, matched by Swift's Regex). Made for each input: a
/// tokenizer kept in a global outlives the run, and LeakSanitizer then reports the boxes of its
/// enums (their pointers carry tag bits) as leaks.
func pair(_ index: Int) -> (Tokenizer, Tokenizer) {
  if index < patterns.count {
    return (tokenizer(split(patterns[index])), tokenizer(split(regexOnly(patterns[index]))))
  }
  return (
    tokenizer(byteLevel(regex: true)),
    tokenizer(
      object([
        "type": .string("Sequence"),
        "pretokenizers": .array([split(regexOnly(patterns[0])), byteLevel(regex: false)]),
      ]))
  )
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  guard size > 0 else { return 0 }
  let index = Int(data[0]) % comparisons
  let (fast, regex) = pair(index)
  var scalars = String.UnicodeScalarView()
  for position in 1..<size { scalars.append(alphabet[Int(data[position]) % alphabet.count]) }
  let text = String(scalars)
  let expected = regex.preTokenize(text)
  let found = fast.preTokenize(text)
  if found != expected {
    fail("\(text.debugDescription) (comparison \(index)): \(found) instead of \(expected)")
  }
  return 0
}

/// The placeholder tokens model families reserve for later use (`<unused12>`,
/// `<|reserved_special_token_3|>`, ...). Their rows are usually untrained.
///
/// This is the one table of placeholder patterns: `audit` reports the rows of these tokens and
/// `resize --reuse-reserved` (``ReservedSlots``) renames them to new tokens.
///
/// Matching is on the token's UTF-8 bytes.
public enum ReservedTokenPattern: String, Sendable, CaseIterable {
  /// Gemma, Gemma 2, Gemma 3: `<unusedN>`.
  case gemma = "<unusedN>"
  /// Llama 3, Llama 4: `<|reserved_special_token_N|>`.
  case llama3 = "<|reserved_special_token_N|>"
  /// BERT and its WordPiece descendants: `[unusedN]`.
  case bert = "[unusedN]"
  /// Phi-3, Phi-3.5: `<|placeholderN|>` (any text without `|` between the prefix and `|>`).
  case phiPlaceholder = "<|placeholder…|>"
  /// Phi-4: `<|dummy_N|>` (any text without `|` between the prefix and `|>`).
  case phiDummy = "<|dummy_…|>"
  /// Mistral (v3 tokenizer): `[control_N]`.
  case mistral = "[control_N]"
  /// Pixtral, Mistral Tekken: `<SPECIAL_N>`.
  case pixtral = "<SPECIAL_N>"
  /// gpt-oss (o200k harmony): `<|reserved_N|>`.
  case gptOSS = "<|reserved_N|>"
  /// InternLM 2: `[UNUSED_TOKEN_N]`.
  case internLM = "[UNUSED_TOKEN_N]"
  /// DeepSeek V3: `<｜place▁holder▁no▁N｜>`.
  case deepSeek = "<｜place▁holder▁no▁N｜>"

  /// The prefix, the suffix, and whether the text between them must be decimal digits (else any
  /// text without a `|`).
  private var parts: (prefix: String, suffix: String, digitsOnly: Bool) {
    switch self {
    case .gemma: ("<unused", ">", true)
    case .llama3: ("<|reserved_special_token_", "|>", true)
    case .bert: ("[unused", "]", true)
    case .phiPlaceholder: ("<|placeholder", "|>", false)
    case .phiDummy: ("<|dummy_", "|>", false)
    case .mistral: ("[control_", "]", true)
    case .pixtral: ("<SPECIAL_", ">", true)
    case .gptOSS: ("<|reserved_", "|>", true)
    case .internLM: ("[UNUSED_TOKEN_", "]", true)
    case .deepSeek: ("<｜place▁holder▁no▁", "｜>", true)
    }
  }

  /// The model families that use the pattern.
  public var families: String {
    switch self {
    case .gemma: "Gemma, Gemma 2, Gemma 3"
    case .llama3: "Llama 3, Llama 4"
    case .bert: "BERT and its WordPiece descendants"
    case .phiPlaceholder: "Phi-3, Phi-3.5"
    case .phiDummy: "Phi-4"
    case .mistral: "Mistral (v3 tokenizer)"
    case .pixtral: "Pixtral, Mistral Tekken"
    case .gptOSS: "gpt-oss (o200k harmony)"
    case .internLM: "InternLM 2"
    case .deepSeek: "DeepSeek V3"
    }
  }

  /// Whether `token` has this pattern's shape (with at least one character in the middle).
  public func matches(_ token: String) -> Bool {
    let bytes = Array(token.utf8)
    let (prefix, suffix, digitsOnly) = parts
    let head = Array(prefix.utf8)
    let tail = Array(suffix.utf8)
    guard bytes.count > head.count + tail.count, bytes.starts(with: head),
      bytes[(bytes.count - tail.count)...].elementsEqual(tail)
    else { return false }
    let middle = bytes[head.count..<(bytes.count - tail.count)]
    if digitsOnly { return middle.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }
    return !middle.contains(UInt8(ascii: "|"))
  }

  /// The pattern `token` matches, or `nil` when it is not a reserved placeholder.
  public static func match(_ token: String) -> ReservedTokenPattern? {
    allCases.first { $0.matches(token) }
  }
}

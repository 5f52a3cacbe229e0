/// The placeholder tokens model families reserve for later use (`<unused12>`,
/// `<|reserved_special_token_3|>`, ...). Their rows are usually untrained.
///
/// Matching is on the token's UTF-8 bytes.
public enum ReservedTokenPattern: String, Sendable, CaseIterable {
  /// Gemma: `<unusedN>`.
  case gemma = "<unusedN>"
  /// Llama 3: `<|reserved_special_token_N|>`.
  case llama3 = "<|reserved_special_token_N|>"
  /// BERT: `[unusedN]`.
  case bert = "[unusedN]"
  /// Phi-3: `<|placeholderN|>` (any text between the prefix and `|>`).
  case phiPlaceholder = "<|placeholder…|>"
  /// Phi-4: `<|dummy_N|>` (any text between the prefix and `|>`).
  case phiDummy = "<|dummy_…|>"
  /// Mistral (Tekken): `[control_N]`.
  case mistral = "[control_N]"
  /// Pixtral: `<SPECIAL_N>`.
  case pixtral = "<SPECIAL_N>"

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

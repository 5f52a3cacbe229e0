import StrictJSON
import SystemPackage

/// SentencePiece's space handling: spaces become a visible replacement character (`▁`), which
/// is prepended to the text and, optionally, starts each word.
struct Metaspace: Sendable {
  enum PrependScheme: Sendable { case always, first, never }

  var replacement: Unicode.Scalar
  var prependScheme: PrependScheme
  var split: Bool

  init(json: JSONValue, context: String, path: FilePath) throws(TokenizationError) {
    guard let text = json["replacement"]?.string, text.unicodeScalars.count == 1,
      let scalar = text.unicodeScalars.first
    else {
      throw .malformed(path: path, what: "\(context).replacement must be a string of one character")
    }
    replacement = scalar
    if let scheme = json["prepend_scheme"], !scheme.isNull {
      switch scheme.string {
      case "always": prependScheme = .always
      case "first": prependScheme = .first
      case "never": prependScheme = .never
      default:
        throw .unsupported(
          path: path, what: "unsupported \(context).prepend_scheme \(JSONWriter.string(scheme))")
      }
    } else if let add = json["add_prefix_space"]?.bool {
      prependScheme = add ? .always : .never
    } else {
      prependScheme = .always
    }
    if let value = json["split"], !value.isNull {
      guard let flag = value.bool else {
        throw .malformed(path: path, what: "\(context).split must be a boolean")
      }
      split = flag
    } else {
      split = true
    }
  }

  func split(_ text: NormalizedText) -> [NormalizedText] {
    var text = text
    let replacement = self.replacement
    text.transform { $0 == " " ? [replacement] : [$0] }
    let prepend: Bool
    switch prependScheme {
    case .always: prepend = true
    case .first: prepend = text.startsOriginal
    case .never: prepend = false
    }
    if prepend && text.scalars.first != replacement { text.prepend([replacement]) }
    guard split else { return [text] }
    return SplitPattern.scalarClass { $0 == replacement }.split(text, behavior: .mergedWithNext)
  }
}

import StrictJSON
import SystemPackage

/// What a split keeps of the matches of its pattern (HF's `SplitDelimiterBehavior`).
enum SplitBehavior: Sendable {
  case removed, isolated, mergedWithPrevious, mergedWithNext, contiguous

  /// Reads `"Removed"`, `"Isolated"`, `"MergedWithPrevious"`, `"MergedWithNext"` or `"Contiguous"`.
  init(json: JSONValue?, context: String, path: FilePath) throws(TokenizationError) {
    switch json?.string {
    case "Removed": self = .removed
    case "Isolated": self = .isolated
    case "MergedWithPrevious": self = .mergedWithPrevious
    case "MergedWithNext": self = .mergedWithNext
    case "Contiguous": self = .contiguous
    case let other?:
      throw .unsupported(path: path, what: "unsupported \(context).behavior '\(other)'")
    case nil: throw .malformed(path: path, what: "\(context).behavior must be a string")
    }
  }
}

/// A compiled regular expression, matched scalar by scalar as Oniguruma does.
///
/// HF compiles patterns with Oniguruma's Ruby syntax; Swift's `Regex` reads the same syntax
/// except for a few constructs, which are rewritten (`.` matches anything but `\n`, `$` is the end
/// of a line ending in `\n`, `\h` is a hex digit) or rejected (`^`, a start of line after `\n`
/// only, which Swift cannot express without lookbehind).
struct ScalarRegex: @unchecked Sendable {
  // `Regex` is an immutable value; it is only read after construction.
  let regex: Regex<AnyRegexOutput>
  let pattern: String

  init(_ pattern: String, context: String, path: FilePath) throws(TokenizationError) {
    let translated: String
    switch Self.translate(pattern) {
    case .success(let text): translated = text
    case .failure(let problem):
      throw .unsupported(
        path: path,
        what:
          "\(context): unsupported regular expression \(JSONWriter.quoted(pattern)): \(problem.reason)"
      )
    }
    do {
      regex = try Regex(translated).matchingSemantics(.unicodeScalar)
    } catch {
      throw .unsupported(
        path: path,
        what: "\(context): unsupported regular expression \(JSONWriter.quoted(pattern)): \(error)")
    }
    self.pattern = pattern
    // Compile the program now, on this thread, rather than lazily during a first match.
    _ = "".firstMatch(of: regex)
  }

  struct Problem: Error {
    var reason: String
  }

  /// Rewrites the Oniguruma (Ruby syntax) constructs that Swift's `Regex` reads differently.
  static func translate(_ pattern: String) -> Result<String, Problem> {
    let scalars = Array(pattern.unicodeScalars)
    var output = String.UnicodeScalarView()
    var classDepth = 0
    var index = 0
    func append(_ text: String) { output.append(contentsOf: text.unicodeScalars) }
    while index < scalars.count {
      let scalar = scalars[index]
      if scalar == "\\" {
        guard index + 1 < scalars.count else {
          output.append(scalar)
          index += 1
          continue
        }
        let next = scalars[index + 1]
        index += 2
        switch next {
        case "h": append(classDepth > 0 ? "0-9a-fA-F" : "[0-9a-fA-F]")
        case "H":
          if classDepth > 0 { return .failure(Problem(reason: "\\H inside a character class")) }
          append("[^0-9a-fA-F]")
        default:
          output.append(scalar)
          output.append(next)
        }
        continue
      }
      index += 1
      if classDepth > 0 {
        if scalar == "[" { classDepth += 1 }
        if scalar == "]" { classDepth -= 1 }
        output.append(scalar)
        continue
      }
      switch scalar {
      case "[":
        classDepth = 1
        output.append(scalar)
        if index < scalars.count && scalars[index] == "^" {
          output.append("^")
          index += 1
        }
        // A `]` first in a class is a literal.
        if index < scalars.count && scalars[index] == "]" {
          append("\\]")
          index += 1
        }
      case ".": append("[^\\n]")
      case "$": append("(?=\\n|\\z)")
      case "^":
        return .failure(Problem(reason: "'^' (a start of line after \\n only) is not supported"))
      default: output.append(scalar)
      }
    }
    return .success(String(output))
  }

  /// The scalar ranges of the successive non-overlapping matches in `scalars`.
  func matches(in scalars: [Unicode.Scalar]) -> [Range<Int>] {
    var view = String.UnicodeScalarView()
    view.append(contentsOf: scalars)
    let string = String(view)
    var result: [Range<Int>] = []
    var index = string.startIndex
    var offset = 0
    let unicodeScalars = string.unicodeScalars
    for match in string.matches(of: regex) {
      let start = offset + unicodeScalars.distance(from: index, to: match.range.lowerBound)
      let end =
        start + unicodeScalars.distance(from: match.range.lowerBound, to: match.range.upperBound)
      index = match.range.upperBound
      offset = end
      // Like Oniguruma's iterator, skip an empty match right where the previous match ended.
      if start == end, let last = result.last, last.upperBound == start { continue }
      result.append(start..<end)
    }
    return result
  }
}

/// What a split looks for: a regular expression, a literal string or a class of scalars.
enum SplitPattern: Sendable {
  case regex(ScalarRegex)
  /// A regular expression that is one of the patterns real tokenizers use, matched by hand.
  case common(CommonSplitPattern)
  case literal([Unicode.Scalar])
  /// Each scalar of the class is a match of its own.
  case scalarClass(@Sendable (Unicode.Scalar) -> Bool)

  /// The text cut into consecutive ranges, each marked as a match or not (HF's `find_matches`).
  func matches(in scalars: [Unicode.Scalar]) -> [(range: Range<Int>, isMatch: Bool)] {
    if scalars.isEmpty { return [(0..<0, false)] }
    var found: [Range<Int>] = []
    switch self {
    case .regex(let regex):
      found = regex.matches(in: scalars)
    case .common(let pattern):
      found = pattern.matches(in: scalars)
    case .literal(let needle):
      // HF matches a string as an escaped regular expression: the empty one matches (emptily)
      // at every position.
      if needle.isEmpty {
        found = (0...scalars.count).map { $0..<$0 }
        break
      }
      var start = 0
      while start + needle.count <= scalars.count {
        if scalars[start] == needle[0]
          && scalars[start..<(start + needle.count)].elementsEqual(needle)
        {
          found.append(start..<(start + needle.count))
          start += needle.count
        } else {
          start += 1
        }
      }
    case .scalarClass(let predicate):
      for (index, scalar) in scalars.enumerated() where predicate(scalar) {
        found.append(index..<(index + 1))
      }
    }
    var result: [(range: Range<Int>, isMatch: Bool)] = []
    var previous = 0
    for range in found {
      if previous != range.lowerBound { result.append((previous..<range.lowerBound, false)) }
      result.append((range, true))
      previous = range.upperBound
    }
    if previous != scalars.count { result.append((previous..<scalars.count, false)) }
    return result
  }

  /// Cuts `text` around the matches (or, with `invert`, around what does not match), keeping the
  /// matches as `behavior` says. Empty pieces are dropped.
  func split(_ text: NormalizedText, behavior: SplitBehavior, invert: Bool = false)
    -> [NormalizedText]
  {
    var pieces = matches(in: text.scalars)
    if invert { pieces = pieces.map { ($0.range, !$0.isMatch) } }
    // (range, remove)
    var kept: [(range: Range<Int>, remove: Bool)] = []
    switch behavior {
    case .isolated:
      kept = pieces.map { ($0.range, false) }
    case .removed:
      kept = pieces.map { ($0.range, $0.isMatch) }
    case .contiguous:
      var previousMatch = false
      for piece in pieces {
        if piece.isMatch == previousMatch, let last = kept.last {
          kept[kept.count - 1] = (last.range.lowerBound..<piece.range.upperBound, false)
        } else {
          kept.append((piece.range, false))
        }
        previousMatch = piece.isMatch
      }
    case .mergedWithPrevious:
      var previousMatch = false
      for piece in pieces {
        if piece.isMatch && !previousMatch, let last = kept.last {
          kept[kept.count - 1] = (last.range.lowerBound..<piece.range.upperBound, false)
        } else {
          kept.append((piece.range, false))
        }
        previousMatch = piece.isMatch
      }
    case .mergedWithNext:
      var previousMatch = false
      for piece in pieces.reversed() {
        if piece.isMatch && !previousMatch, let last = kept.last {
          kept[kept.count - 1] = (piece.range.lowerBound..<last.range.upperBound, false)
        } else {
          kept.append((piece.range, false))
        }
        previousMatch = piece.isMatch
      }
      kept.reverse()
    }
    return kept.compactMap { $0.remove || $0.range.isEmpty ? nil : text.slice($0.range) }
  }

  /// Reads a `{"String": ...}` or `{"Regex": ...}` pattern; a regular expression that is exactly
  /// one of the ``CommonSplitPattern``s is matched by its hand-written matcher.
  init(json: JSONValue?, context: String, path: FilePath) throws(TokenizationError) {
    if let literal = json?["String"]?.string {
      self = .literal(Array(literal.unicodeScalars))
    } else if let pattern = json?["Regex"]?.string, let common = CommonSplitPattern(pattern: pattern) {
      self = .common(common)
    } else if let pattern = json?["Regex"]?.string {
      self = .regex(try ScalarRegex(pattern, context: context, path: path))
    } else {
      throw .malformed(
        path: path, what: "\(context).pattern must be {\"String\": ...} or {\"Regex\": ...}")
    }
  }
}

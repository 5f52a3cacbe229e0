// libFuzzer target: the strict JSON parser, the writer and JSONDocument edits.
// Invariants: what the writer writes parses back to the same value (all styles); an edited
// document is still valid JSON and holds the new value where it was put.
import StrictJSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  _ = try? JSONParser.parse(bytes, options: JSONParser.Options(maximumDepth: 16, allowsDuplicateKeys: false))
  guard let value = try? JSONParser.parse(bytes) else { return 0 }
  for style in [JSONWriter.Style.compact, .spaced, .pretty(indent: 2)] {
    let text = JSONWriter.string(value, style: style)
    guard let again = try? JSONParser.parse(Array(text.utf8)) else {
      preconditionFailure("the writer's output does not parse")
    }
    precondition(again == value, "the writer's output parses to another value")
  }
  guard var document = try? JSONDocument(bytes: Array(bytes)) else {
    preconditionFailure("JSONDocument rejects what JSONParser accepts")
  }
  // Paths that lead into the value: the first key or index at each level, up to 4 levels deep.
  var path: [JSONDocument.PathComponent] = []
  var current = value
  var paths: [[JSONDocument.PathComponent]] = [[]]
  while path.count < 4 {
    if case .object(let members) = current, let first = members.first {
      path.append(.key(first.key))
      current = first.value
    } else if case .array(let elements) = current, let first = elements.first {
      path.append(.index(0))
      current = first
    } else {
      break
    }
    paths.append(path)
  }
  let inserted = JSONValue.array([.string("n\u{e9}w\n"), .number(JSONNumber(1)), .null])
  for target in paths.reversed() {
    guard document.range(of: target) != nil else { preconditionFailure("a path to a value is not found") }
    var copy = document
    if copy.append([inserted], toArrayAt: target) {
      guard (try? copy.value()) != nil else { preconditionFailure("append broke the document") }
    }
    copy = document
    if copy.set("fuzz\"key", to: inserted, inObjectAt: target) {
      guard let edited = try? copy.value() else { preconditionFailure("set broke the document") }
      precondition(edited.at(target + [.key("fuzz\"key")]) == inserted, "set did not set")
    }
  }
  if let last = paths.last, document.replace(last, with: inserted) {
    guard let edited = try? document.value() else { preconditionFailure("replace broke the document") }
    precondition(edited.at(last) == inserted, "replace did not replace")
  }
  return 0
}

extension JSONValue {
  /// The value at `path` (first member of a name), as JSONDocument finds it.
  func at(_ path: [JSONDocument.PathComponent]) -> JSONValue? {
    var current = self
    for component in path {
      switch (component, current) {
      case (.key(let key), .object(let members)):
        guard let member = members.first(where: { $0.key.utf8.elementsEqual(key.utf8) }) else { return nil }
        current = member.value
      case (.index(let index), .array(let elements)):
        guard elements.indices.contains(index) else { return nil }
        current = elements[index]
      default: return nil
      }
    }
    return current
  }
}

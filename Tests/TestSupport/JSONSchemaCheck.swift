import Foundation
import StrictJSON

/// Checks JSON documents against `docs/json-schema.json`, the machine-readable form of
/// docs/json-schema.md, in the subset of JSON Schema it uses: `$ref` to `#/$defs/NAME`, `anyOf`,
/// `const`, `enum`, `type` (a name or a list), `properties` with `required` and
/// `additionalProperties` (false or a schema), `items`, `prefixItems`, `minItems`, `maxItems`.
/// One rule beyond JSON Schema: an object's members must come in the order `properties` lists
/// them (the tool's output order is part of its contract).
public struct JSONSchemaCheck: Sendable {
  /// The committed schema.
  public static let committed: Result<JSONSchemaCheck, any Error> = Result {
    let url = TestEnvironment.repositoryRoot.appendingPathComponent("docs/json-schema.json")
    return JSONSchemaCheck(schema: try JSONParser.parse(Array(try Data(contentsOf: url))))
  }

  /// The schema.
  public let schema: JSONValue

  /// A check against `schema`.
  public init(schema: JSONValue) {
    self.schema = schema
  }

  /// The names of the documents (`inspect`, `error`, `progress`, ...).
  public var documentNames: [String] { schema["documents"]?.members?.map(\.key) ?? [] }

  /// What is wrong with `value` as the document `name`; empty when it is valid.
  public func problems(_ value: JSONValue, document name: String) -> [String] {
    guard let definition = schema["documents"]?[name] else { return ["no document named \(name) in the schema"] }
    var problems: [String] = []
    check(value, against: definition, at: name, into: &problems)
    return problems
  }

  private func check(_ value: JSONValue, against rule: JSONValue, at path: String, into problems: inout [String]) {
    if let reference = rule["$ref"]?.string {
      let name = String(reference.dropFirst("#/$defs/".count))
      guard reference.hasPrefix("#/$defs/"), let target = schema["$defs"]?[name] else {
        problems.append("\(path): unknown reference \(reference)")
        return
      }
      return check(value, against: target, at: path, into: &problems)
    }
    if let options = rule["anyOf"]?.elements {
      var all: [[String]] = []
      for option in options {
        var found: [String] = []
        check(value, against: option, at: path, into: &found)
        if found.isEmpty { return }
        all.append(found)
      }
      problems.append("\(path): matches none of anyOf: \(all.flatMap { $0 }.joined(separator: "; "))")
      return
    }
    if let constant = rule["const"], !same(constant, value) {
      problems.append("\(path): is \(JSONWriter.string(value)), not \(JSONWriter.string(constant))")
    }
    if let allowed = rule["enum"]?.elements, !allowed.contains(where: { same($0, value) }) {
      problems.append("\(path): \(JSONWriter.string(value)) is not one of \(JSONWriter.string(.array(allowed)))")
    }
    if let type = rule["type"] {
      let types = type.elements?.compactMap(\.string) ?? [type.string ?? ""]
      guard types.contains(where: { has(value, type: $0) }) else {
        problems.append("\(path): is \(value.kindDescription), not \(types.joined(separator: " or "))")
        return
      }
    }
    switch value {
    case .object(let members): checkObject(members, against: rule, at: path, into: &problems)
    case .array(let elements):
      if let minimum = rule["minItems"]?.number?.int, elements.count < minimum {
        problems.append("\(path): has \(elements.count) items, fewer than \(minimum)")
      }
      if let maximum = rule["maxItems"]?.number?.int, elements.count > maximum {
        problems.append("\(path): has \(elements.count) items, more than \(maximum)")
      }
      let prefix = rule["prefixItems"]?.elements ?? []
      for (index, element) in elements.enumerated() {
        if index < prefix.count {
          check(element, against: prefix[index], at: "\(path)[\(index)]", into: &problems)
        } else if let items = rule["items"] {
          check(element, against: items, at: "\(path)[\(index)]", into: &problems)
        }
      }
    default: break
    }
  }

  private func checkObject(
    _ members: [JSONMember], against rule: JSONValue, at path: String, into problems: inout [String]
  ) {
    let properties = rule["properties"]?.members ?? []
    let order = properties.map(\.key)
    var last = -1
    for member in members {
      if let index = order.firstIndex(of: member.key) {
        if index < last { problems.append("\(path): \(member.key) comes after \(order[last])") }
        last = max(last, index)
        check(member.value, against: properties[index].value, at: "\(path).\(member.key)", into: &problems)
      } else if let additional = rule["additionalProperties"], additional.bool == nil {
        check(member.value, against: additional, at: "\(path).\(member.key)", into: &problems)
      } else if rule["additionalProperties"]?.bool == false {
        problems.append("\(path): unexpected member \(member.key)")
      }
    }
    for required in rule["required"]?.elements?.compactMap(\.string) ?? []
    where !members.contains(where: { $0.key == required }) {
      problems.append("\(path): missing \(required)")
    }
  }

  private func has(_ value: JSONValue, type: String) -> Bool {
    switch (type, value) {
    case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array),
      ("object", .object):
      true
    case ("integer", .number(let number)): number.int != nil
    default: false
    }
  }

  private func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
    if case .number(let x) = a, case .number(let y) = b { return x.double == y.double }
    return a == b
  }
}

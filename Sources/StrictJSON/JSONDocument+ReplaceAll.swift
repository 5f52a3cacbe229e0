extension JSONDocument {
  /// Replaces the values at several paths, finding them all in one pass over the text and
  /// writing the new text once: as ``replace(_:with:)`` called for each edit in turn, without
  /// a pass over the text per edit (a trimmed tokenizer.json edits hundreds of ids, its
  /// vocabulary and its merges, in a text of megabytes).
  ///
  /// Each new value is laid out like its neighbours, as ``replace(_:with:)`` lays it out.
  ///
  /// - Returns: `false`, and the text unchanged, when a path leads nowhere or two paths lead to
  ///   the same value or one into the other's.
  /// - Complexity: O(*n* + *m*) in the length of the text and of the new values' text.
  @discardableResult
  public mutating func replace(_ edits: [(path: [PathComponent], value: JSONValue)]) -> Bool {
    var located: [(location: ValueLocation, edit: Int)] = []
    located.reserveCapacity(edits.count)
    for (index, location) in locate(edits.map(\.path)).enumerated() {
      guard let location else { return false }
      located.append((location, index))
    }
    located.sort { $0.location.range.lowerBound < $1.location.range.lowerBound }
    for (earlier, later) in zip(located, located.dropFirst())
    where later.location.range.lowerBound < earlier.location.range.upperBound {
      return false
    }
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count)
    var position = 0
    for (location, edit) in located {
      output.append(contentsOf: bytes[position..<location.range.lowerBound])
      let layout = Layout(of: bytes, containerStartingAt: location.container)
      JSONWriter.write(edits[edit].value, style: layout.style, level: layout.level + 1, into: &output)
      position = location.range.upperBound
    }
    output.append(contentsOf: bytes[position...])
    bytes = output
    return true
  }

  /// The byte ranges of the values at `paths` (`nil` where a path leads nowhere), found in one
  /// pass over the text.
  ///
  /// - Complexity: O(*n*) in the length of the text (the pass stops once every path is found).
  public func ranges(of paths: [[PathComponent]]) -> [Range<Int>?] {
    locate(paths).map { $0?.range }
  }

  /// Where a value stands: its bytes, and the start of the container that holds it (`nil` for
  /// the root).
  struct ValueLocation {
    var range: Range<Int>
    var container: Int?
  }

  /// The locations of the values at `paths`, in one walk that enters only the containers some
  /// path goes through and skips every other value.
  func locate(_ paths: [[PathComponent]]) -> [ValueLocation?] {
    var walk = PathWalk(bytes: bytes, containerEnds: containerEnds, paths: paths)
    walk.scanner.skipWhitespace()
    if !paths.isEmpty { walk.visit(depth: 0, pending: Array(paths.indices), container: nil) }
    return walk.found
  }

  /// One walk of ``locate(_:)``: the paths, what was found, and how many are still to find.
  private struct PathWalk {
    var scanner: Scanner
    let paths: [[PathComponent]]
    /// The keys of the paths' components as UTF-8 bytes (`nil` for an index).
    let keys: [[[UInt8]?]]
    var found: [ValueLocation?]
    var remaining: Int

    init(bytes: [UInt8], containerEnds: [Int: Int], paths: [[PathComponent]]) {
      scanner = Scanner(bytes: bytes, containerEnds: containerEnds)
      self.paths = paths
      keys = paths.map { path in
        path.map { component in
          if case .key(let key) = component { return Array(key.utf8) }
          return nil
        }
      }
      found = Array(repeating: nil, count: paths.count)
      remaining = paths.count
    }

    /// Visits the value at the scanner's position, which the paths `pending` (their first
    /// `depth` components) lead to, and leaves the scanner after it; or anywhere, once every
    /// path is found.
    mutating func visit(depth: Int, pending: [Int], container: Int?) {
      let start = scanner.position
      let deeper = pending.filter { paths[$0].count > depth }
      if deeper.count < pending.count {
        scanner.skipValue()
        for index in pending where paths[index].count == depth {
          found[index] = ValueLocation(range: start..<scanner.position, container: container)
          remaining -= 1
        }
        if deeper.isEmpty || remaining == 0 { return }
        scanner.position = start
      }
      guard !deeper.isEmpty, start < scanner.bytes.count else {
        scanner.skipValue()
        return
      }
      switch scanner.bytes[start] {
      case UInt8(ascii: "{"): visitMembers(depth: depth, pending: deeper, container: start)
      case UInt8(ascii: "["): visitElements(depth: depth, pending: deeper, container: start)
      default: scanner.skipValue()
      }
    }

    /// The members of the object at the scanner's position: the first member of each name that
    /// a pending path names is visited, every other one skipped.
    private mutating func visitMembers(depth: Int, pending: [Int], container: Int) {
      var pending = pending
      scanner.position += 1
      while true {
        scanner.skipWhitespace()
        guard scanner.position < scanner.bytes.count, scanner.bytes[scanner.position] == UInt8(ascii: "\"") else {
          scanner.position += 1  // '}'
          return
        }
        let key = scanner.readString()
        scanner.skipWhitespace()
        scanner.position += 1  // ':'
        scanner.skipWhitespace()
        let matching = pending.filter { keys[$0][depth] == key }
        guard visitValue(depth: depth, matching: matching, pending: &pending, container: container) else { return }
      }
    }

    /// The elements of the array at the scanner's position: those a pending path names are
    /// visited, every other one skipped.
    private mutating func visitElements(depth: Int, pending: [Int], container: Int) {
      var pending = pending
      scanner.position += 1
      var index = 0
      while true {
        scanner.skipWhitespace()
        guard scanner.position < scanner.bytes.count, scanner.bytes[scanner.position] != UInt8(ascii: "]") else {
          scanner.position += 1
          return
        }
        let matching = pending.filter { paths[$0][depth] == .index(index) }
        guard visitValue(depth: depth, matching: matching, pending: &pending, container: container) else { return }
        index += 1
      }
    }

    /// The member or element value at the scanner's position: visited for the `matching` paths
    /// (taken out of `pending`), skipped when none names it; then the scanner moves past the comma
    /// that follows. False when the walk of this container is over (every replacement made, or no
    /// pending path left in it, the rest of the container skipped).
    private mutating func visitValue(depth: Int, matching: [Int], pending: inout [Int], container: Int) -> Bool {
      if matching.isEmpty {
        scanner.skipValue()
      } else {
        pending.removeAll(where: matching.contains)
        visit(depth: depth + 1, pending: matching, container: container)
        if remaining == 0 { return false }
      }
      if pending.isEmpty {
        scanner.skipRestOfContainer()
        return false
      }
      scanner.skipWhitespace()
      if scanner.position < scanner.bytes.count, scanner.bytes[scanner.position] == UInt8(ascii: ",") {
        scanner.position += 1
      }
      return true
    }
  }
}

extension JSONDocument.Scanner {
  /// Moves past the end of the container the scanner is inside (between its members or
  /// elements).
  mutating func skipRestOfContainer() {
    position = bytes.withUnsafeBufferPointer { Self.end(ofContainerFrom: position, depth: 1, in: $0) }
  }
}

// The property of SharingLayout plans, shared by the tests (seeded cases) and the libFuzzer target
// FuzzSharingLayout (cases drawn from the fuzzer's bytes): Fuzz/Sources/FuzzSharingLayout links to this file,
// so it imports nothing but SafeTensors.
import SafeTensors

/// A source of choices: seeded in the tests, the fuzzer's bytes in the fuzz target.
protocol LayoutChoices {
  /// A number in `0..<bound` (`bound` > 0).
  mutating func next(below bound: Int) -> Int
}

/// SplitMix64: the same cases on every machine.
struct SeededChoices: LayoutChoices {
  var state: UInt64

  mutating func next(below bound: Int) -> Int {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return Int((z ^ (z >> 31)) % UInt64(bound))
  }
}

/// The fuzzer's bytes, one or two per choice; 0 once they run out.
struct ByteChoices: LayoutChoices {
  let bytes: UnsafeRawBufferPointer
  var index = 0

  mutating func next(below bound: Int) -> Int {
    var value = 0
    for _ in 0..<(bound > 256 ? 2 : 1) where index < bytes.count {
      value = value << 8 | Int(bytes[index])
      index += 1
    }
    return value % bound
  }
}

/// What a plan got wrong, with the case that shows it.
struct LayoutFailure: Error, CustomStringConvertible {
  let description: String
}

/// An input file of random tensors (dtypes, shapes, data order, header order and padding,
/// metadata) and random changes to it: tensors unchanged, grown, rows rewritten, rows dropped,
/// removed, repeated under another name, renamed, and new tensors.
struct LayoutCase: CustomStringConvertible {
  var blockSize: Int
  var input: [UInt8]
  var header: SafeTensorsHeader
  var outputs: [SharingLayout.Tensor]
  /// Whether the outputs are exactly the input's tensors, unchanged.
  var isIdentity: Bool

  var description: String {
    let tensors = header.tensors.map { "\($0.name) \($0.dtype.rawValue) \($0.shape) \($0.dataOffsets)" }
    let outputs = outputs.map { "\($0.name) \($0.dtype.rawValue) \($0.shape) \($0.pieces)" }
    return
      "block \(blockSize), input \(input.count) bytes, data at \(header.dataStart), metadata \(String(describing: header.metadata))\n"
      + "  input: \(tensors.joined(separator: "; "))\n  output: \(outputs.joined(separator: "; "))"
  }

  /// The bytes of fresh piece `id` the checks write: a pattern unlike the input's.
  static func fresh(_ id: Int, _ offset: Int, _ count: Int) -> [UInt8] {
    (offset..<(offset + count)).map { UInt8(truncatingIfNeeded: id &* 131 &+ $0 &* 7 &+ 1) }
  }

  static func random<Choices: LayoutChoices>(_ choices: inout Choices) -> LayoutCase? {
    let blockSize = [8, 16, 64, 256, 512, 4096][choices.next(below: 6)]
    var specs: [(name: String, dtype: DType, shape: [Int])] = []
    for index in 0..<choices.next(below: 8) {
      let dtype = DType.allCases[choices.next(below: DType.allCases.count)]
      // Whole bytes per row: columns a multiple of 4 covers the 4- and 6-bit types.
      let columns = dtype.bitSize < 8 ? 4 * (1 + choices.next(below: 3)) : [1, 2, 3, 4, 8, 12][choices.next(below: 6)]
      let rowBytes = columns * dtype.bitSize / 8
      let rows =
        choices.next(below: 3) == 0 ? choices.next(below: 4) : choices.next(below: 3 * blockSize / rowBytes + 8)
      let shape = choices.next(below: 8) == 0 && dtype.bitSize >= 8 ? [rows * columns] : [rows, columns]
      specs.append((name: "t\(index)", dtype: dtype, shape: shape))
    }
    let metadata = [#""__metadata__":{"format":"pt","note":"x y"}"#, #""__metadata__":null"#, nil][
      choices.next(below: 3)]
    let (input, header) = file(
      specs.map { ($0.name, $0.dtype, $0.shape) }, dataOrder: shuffled(Array(specs.indices), &choices),
      headerOrder: shuffled(Array(specs.indices), &choices), metadata: metadata,
      metadataPosition: choices.next(below: specs.count + 1), padding: choices.next(below: blockSize + 8)
    ) { UInt8(truncatingIfNeeded: choices.next(below: 256)) }
    guard let header else { return nil }

    var outputs: [SharingLayout.Tensor] = []
    var freshID = 0
    func fresh(_ count: Int) -> SharingLayout.Piece {
      freshID += 1
      return .fresh(id: freshID, count: count)
    }
    var isIdentity = true
    for tensor in shuffled(header.tensors, &choices) {
      let unchanged = SharingLayout.Tensor.unchanged(tensor, in: header)
      let start = header.dataStart + tensor.dataOffsets.lowerBound
      let rows = tensor.shape.first ?? 1
      let rowBytes = tensor.shape.count == 2 ? tensor.shape[1] * tensor.dtype.bitSize / 8 : 0
      /// The rows as input runs, one in `odds` (never when 0) replaced by fresh bytes.
      func rewriting(oneIn odds: Int) -> [SharingLayout.Piece] {
        var pieces: [SharingLayout.Piece] = []
        var runStart = 0
        for row in 0..<rows where odds > 0 && choices.next(below: odds) == 0 {
          if row > runStart { pieces.append(.input((start + runStart * rowBytes)..<(start + row * rowBytes))) }
          pieces.append(fresh(rowBytes))
          runStart = row + 1
        }
        if rows > runStart { pieces.append(.input((start + runStart * rowBytes)..<(start + rows * rowBytes))) }
        return pieces
      }
      let action = choices.next(below: 10)
      if action != 0 { isIdentity = false }
      switch action {
      case 1 where tensor.shape.count == 2:  // grown by new rows, a few old ones possibly rewritten
        let added =
          choices.next(below: 3) == 0
          ? choices.next(below: 2 * blockSize / max(rowBytes, 1) + 2) : 1 + choices.next(below: 5)
        let pieces = rewriting(oneIn: choices.next(below: 2) == 0 ? 0 : 8) + [fresh(added * rowBytes)]
        outputs.append(
          .init(name: tensor.name, dtype: tensor.dtype, shape: [rows + added, tensor.shape[1]], pieces: pieces))
      case 2 where tensor.shape.count == 2:  // rows rewritten in place
        outputs.append(.init(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, pieces: rewriting(oneIn: 6)))
      case 3 where tensor.shape.count == 2:  // rows dropped: a gather of the kept runs
        let kept = (0..<rows).filter { _ in choices.next(below: 5) != 0 }
        let pieces = kept.map { SharingLayout.Piece.input((start + $0 * rowBytes)..<(start + ($0 + 1) * rowBytes)) }
        outputs.append(
          .init(name: tensor.name, dtype: tensor.dtype, shape: [kept.count, tensor.shape[1]], pieces: pieces))
      case 4: break  // removed
      case 5:  // also written again under another name (a tied copy)
        outputs.append(unchanged)
        outputs.append(
          .init(
            name: TensorName("copy." + tensor.name.string), dtype: tensor.dtype, shape: tensor.shape,
            pieces: unchanged.pieces))
      case 6:  // renamed
        outputs.append(
          .init(
            name: TensorName("renamed." + tensor.name.string), dtype: tensor.dtype, shape: tensor.shape,
            pieces: unchanged.pieces))
      default:
        outputs.append(unchanged)
      }
    }
    for index in 0..<choices.next(below: 3) {
      let dtype = DType.allCases[choices.next(below: DType.allCases.count)]
      let count = 4 * choices.next(below: blockSize / 2 + 2)
      isIdentity = false
      outputs.insert(
        .init(
          name: TensorName("new\(index)"), dtype: dtype, shape: [count], pieces: [fresh(count * dtype.bitSize / 8)]),
        at: choices.next(below: outputs.count + 1))
    }
    if outputs.count != header.tensors.count { isIdentity = false }
    return LayoutCase(blockSize: blockSize, input: input, header: header, outputs: outputs, isIdentity: isIdentity)
  }

  /// A safetensors file of `specs` (name, dtype, shape): the data in `dataOrder`, the header's
  /// entries in `headerOrder` with the `__metadata__` member `metadata` (verbatim JSON) at
  /// `metadataPosition`, `padding` spaces after the JSON, data bytes from `byte`; and its
  /// header as the reader parses it (`nil` when it does not).
  static func file(
    _ specs: [(name: String, dtype: DType, shape: [Int])], dataOrder: [Int], headerOrder: [Int],
    metadata: String?, metadataPosition: Int = 0, padding: Int, byte: () -> UInt8
  ) -> (bytes: [UInt8], header: SafeTensorsHeader?) {
    let sizes = specs.map { $0.shape.reduce(1, *) * $0.dtype.bitSize / 8 }
    var offsets = [Int](repeating: 0, count: specs.count)
    var dataSize = 0
    for index in dataOrder {
      offsets[index] = dataSize
      dataSize += sizes[index]
    }
    var entries = headerOrder.map { index in
      "\"\(specs[index].name)\":{\"dtype\":\"\(specs[index].dtype.rawValue)\",\"shape\":[\(specs[index].shape.map(String.init).joined(separator: ","))],"
        + "\"data_offsets\":[\(offsets[index]),\(offsets[index] + sizes[index])]}"
    }
    if let metadata { entries.insert(metadata, at: min(metadataPosition, entries.count)) }
    let json = "{" + entries.joined(separator: ",") + "}" + String(repeating: " ", count: padding)
    var bytes: [UInt8] = []
    withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: json.utf8)
    for _ in 0..<dataSize { bytes.append(byte()) }
    return (bytes, bytes.withUnsafeBytes { try? SafeTensorsHeader(parsing: $0, path: "case") })
  }

  private static func shuffled<Element, Choices: LayoutChoices>(_ array: [Element], _ choices: inout Choices)
    -> [Element]
  {
    var array = array
    for index in array.indices.dropLast() {
      array.swapAt(index, index + choices.next(below: array.count - index))
    }
    return array
  }

  /// Plans the case and checks the plan: applied to the input, the operations give a file the
  /// reader accepts, with the input's metadata and every tensor's expected bytes, dtype and
  /// shape; the operations cover the output once, in order; every clone is block-aligned in
  /// both files (its length a whole number of blocks unless it ends both); the header keeps
  /// the input's length modulo 8; no tensor is less aligned than its bytes were in the
  /// input (up to its element size); and a file rewritten unchanged shares every whole block of its data.
  @discardableResult
  func check() throws -> SharingLayout.Plan {
    func fail(_ problem: String) -> LayoutFailure { LayoutFailure(description: "\(problem)\n\(self)") }
    let plan = try SharingLayout.plan(outputs, input: header, fileSize: input.count, blockSize: blockSize)
    let output = input.withUnsafeBytes { plan.assemble(input: $0, fresh: LayoutCase.fresh) }
    guard output.count == plan.fileSize else {
      throw fail("\(output.count) bytes written, the plan says \(plan.fileSize)")
    }
    let parsed: SafeTensorsHeader
    do {
      parsed = try output.withUnsafeBytes { try SafeTensorsHeader(parsing: $0, path: "output") }
    } catch {
      throw fail("the output does not parse: \(error)")
    }
    guard parsed.metadata == header.metadata else { throw fail("metadata \(String(describing: parsed.metadata))") }
    guard parsed.dataStart == plan.dataStart, (parsed.dataStart - header.dataStart) % 8 == 0 else {
      throw fail("data at \(parsed.dataStart), the plan says \(plan.dataStart), the input's at \(header.dataStart)")
    }
    guard parsed.tensors.count == outputs.count else { throw fail("\(parsed.tensors.count) tensors") }
    for tensor in outputs {
      guard let written = parsed.tensor(named: tensor.name), written.dtype == tensor.dtype,
        written.shape == tensor.shape
      else { throw fail("tensor \(tensor.name) is missing or has another dtype or shape") }
      var expected: [UInt8] = []
      for piece in tensor.pieces {
        switch piece {
        case .input(let range): expected += input[range]
        case .fresh(let id, let count): expected += LayoutCase.fresh(id, 0, count)
        }
      }
      let start = parsed.dataStart + written.dataOffsets.lowerBound
      guard output[start..<(start + written.byteCount)].elementsEqual(expected) else {
        throw fail("tensor \(tensor.name) has other bytes")
      }
      let elementAlignment = tensor.dtype.bitSize >= 8 ? min(8, tensor.dtype.bitSize / 8) : 1
      // Where the tensor's bytes were in the input: its first input piece, less its offset.
      var offset = 0
      var inputStart = 0
      for piece in tensor.pieces {
        if case .input(let range) = piece, !range.isEmpty {
          inputStart = range.lowerBound - offset
          break
        }
        offset += piece.count
      }
      let required = min(elementAlignment, alignment(inputStart), alignment(header.dataStart))
      guard written.byteCount == 0 || start % required == 0 else {
        throw fail("tensor \(tensor.name) at \(start) is less aligned than in the input (\(required))")
      }
    }
    do {
      try LayoutCase.checkOperations(plan, inputSize: input.count)
    } catch {
      throw fail(error.description)
    }
    if isIdentity {
      let blockAfterHeader = (header.dataStart + blockSize - 1) / blockSize * blockSize
      guard plan.sharedBytes == max(0, input.count - blockAfterHeader) else {
        throw fail("an unchanged file shares \(plan.sharedBytes) bytes, not \(max(0, input.count - blockAfterHeader))")
      }
    }
    return plan
  }

  /// Checks a plan's operations alone: they cover the output once, in order, header first; each
  /// clone is block-aligned in both files (a whole number of blocks unless it ends both); every
  /// input range lies inside the input; the totals are the operations' sums.
  static func checkOperations(_ plan: SharingLayout.Plan, inputSize: Int) throws(LayoutFailure) {
    let blockSize = plan.blockSize
    var cursor = 0
    var shared = 0
    var copied = 0
    var fresh = 0
    for (index, operation) in plan.operations.enumerated() {
      guard operation.output.lowerBound == cursor, !operation.output.isEmpty else {
        throw LayoutFailure(description: "operation \(index) \(operation) does not start at \(cursor)")
      }
      cursor = operation.output.upperBound
      switch operation {
      case .header(let range):
        guard index == 0, range == 0..<plan.header.count else {
          throw LayoutFailure(description: "header operation \(operation)")
        }
      case .clone(let from, let to):
        let endsBoth = from.upperBound == inputSize && to + from.count == plan.fileSize
        guard from.lowerBound % blockSize == 0, to % blockSize == 0, from.count % blockSize == 0 || endsBoth,
          from.upperBound <= inputSize
        else { throw LayoutFailure(description: "clone \(operation) is not block-aligned") }
        shared += from.count
      case .copy(let from, _):
        guard from.lowerBound >= 0, from.upperBound <= inputSize else {
          throw LayoutFailure(description: "copy \(operation) outside the input")
        }
        copied += from.count
      case .fresh(_, _, let to):
        fresh += to.count
      }
    }
    guard cursor == plan.fileSize, shared == plan.sharedBytes, copied == plan.copiedBytes, fresh == plan.freshBytes
    else {
      throw LayoutFailure(
        description: "operations end at \(cursor), share \(shared), copy \(copied), write \(fresh); the plan says "
          + "\(plan.fileSize), \(plan.sharedBytes), \(plan.copiedBytes), \(plan.freshBytes)")
    }
  }

  private func alignment(_ offset: Int) -> Int {
    let low = (offset % 8 + 8) % 8
    return low == 0 ? 8 : 1 << low.trailingZeroBitCount
  }
}

import SystemPackage

extension LayoutContext {
  /// The movers (positions in ``natural``) in the order they follow the kept tensors: by
  /// alignment, largest first, then in the input's order.
  func orderedMovers(_ positions: [Int]) -> [Int] {
    positions.sorted {
      (-items[natural[$0]].alignment, $0) < (-items[natural[$1]].alignment, $1)
    }
  }

  /// The plan of an arrangement: the tensors' order and offsets, the padded header and the
  /// operations, with exactly what they share.
  ///
  /// - Complexity: O(*t* log *t* + *p* + *h*) for *t* tensors, *p* pieces and a header of *h* bytes.
  func materialize(
    _ arrangement: LayoutArrangement, metadata: [String: String]?, path: FilePath
  ) throws(SafeTensorsError) -> SharingLayout.Plan {
    let mask = blockSize - 1
    let kept = natural.indices.filter { arrangement.kept[$0] }.map { natural[$0] }
    let movers = arrangement.movers.map { natural[$0] }
    let trailing = trailing(arrangement)
    let order = kept + movers + trailing
    var placed: [SafeTensorsWriter.Placed] = []
    var infos: [TensorInfo] = []
    var offset = 0
    for index in order {
      let tensor = tensors[index]
      let end = offset + items[index].size
      placed.append(
        SafeTensorsWriter.Placed(
          tensor: TensorToWrite(name: tensor.name, dtype: tensor.dtype, dimensions: tensor.dimensions, segments: []),
          dimensions: tensor.dimensions, begin: UInt64(offset), end: UInt64(end)))
      infos.append(
        TensorInfo(name: tensor.name, dtype: tensor.dtype, dimensions: tensor.dimensions, dataOffsets: offset..<end))
      offset = end
    }
    let header = SafeTensorsWriter.header(for: placed, metadata: metadata) { jsonLength in
      (arrangement.firstResidue - 8 - jsonLength) & mask
    }
    guard header.count - 8 <= SafeTensorsHeader.maximumHeaderLength else {
      throw .headerTooLarge(path: path, length: UInt64(header.count - 8))
    }
    var writer = OperationList(blockSize: blockSize, inputSize: inputSize, outputSize: header.count + offset)
    writer.operations.append(.header(0..<header.count))
    var cursor = header.count
    for index in order {
      for segment in items[index].segments {
        writer.append(segment.piece, at: cursor)
        cursor += segment.piece.count
      }
    }
    writer.flush()
    let freshOnly = Set(freshOnly)
    return SharingLayout.Plan(
      blockSize: blockSize, header: header, tensors: infos, operations: writer.operations,
      fileSize: writer.outputSize, sharedBytes: writer.shared, copiedBytes: writer.copied, freshBytes: writer.fresh,
      moved: (movers + trailing).filter { !freshOnly.contains($0) }.map { tensors[$0].name })
  }
}

/// Turns the output's pieces, in order, into operations: adjacent input ranges become one run,
/// and a run whose output offset is congruent to its input offset is cloned block by block.
private struct OperationList {
  let blockSize: Int
  let inputSize: Int
  let outputSize: Int
  var operations: [SharingLayout.Operation] = []
  var shared = 0
  var copied = 0
  var fresh = 0
  /// The input run not yet emitted and its output offset.
  private var run: (input: Range<Int>, output: Int)?

  init(blockSize: Int, inputSize: Int, outputSize: Int) {
    self.blockSize = blockSize
    self.inputSize = inputSize
    self.outputSize = outputSize
  }

  mutating func append(_ piece: SharingLayout.Piece, at output: Int) {
    switch piece {
    case .input(let range):
      if let pending = run, pending.input.upperBound == range.lowerBound {
        run = (pending.input.lowerBound..<range.upperBound, pending.output)
      } else {
        flush()
        run = (range, output)
      }
    case .fresh(let id, let count):
      flush()
      operations.append(.fresh(id: id, offset: 0, to: output..<(output + count)))
      fresh += count
    }
  }

  /// Emits the pending run: its whole blocks cloned when its offsets are congruent (the last,
  /// partial block too when it ends both files), the rest copied.
  mutating func flush() {
    guard let (input, output) = run else { return }
    run = nil
    let mask = blockSize - 1
    if (output - input.lowerBound) & mask == 0 {
      let low = (input.lowerBound + mask) & ~mask
      let endsBoth = input.upperBound == inputSize && output + input.count == outputSize
      let high = endsBoth ? input.upperBound : input.upperBound & ~mask
      if high > low {
        copy(input.lowerBound..<low, to: output)
        operations.append(.clone(from: low..<high, to: output + low - input.lowerBound))
        shared += high - low
        copy(high..<input.upperBound, to: output + high - input.lowerBound)
        return
      }
    }
    copy(input, to: output)
  }

  private mutating func copy(_ input: Range<Int>, to output: Int) {
    guard !input.isEmpty else { return }
    operations.append(.copy(from: input, to: output))
    copied += input.count
  }
}

extension SharingLayout.Plan {
  /// The output file's bytes, made in memory by applying the operations to `input` (the whole
  /// input file) and to the fresh bytes `fresh(id, offset, count)` returns (exactly `count`
  /// bytes from `offset` of piece `id`): the reference meaning of a plan, for tests and files
  /// small enough to hold.
  ///
  /// - Complexity: O(``fileSize``).
  public func assemble(
    input: UnsafeRawBufferPointer, fresh: (_ id: Int, _ offset: Int, _ count: Int) -> [UInt8]
  ) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(fileSize)
    for operation in operations {
      switch operation {
      case .header: output.append(contentsOf: header)
      case .clone(let from, _), .copy(let from, _): output.append(contentsOf: input[from])
      case .fresh(let id, let offset, let to):
        let bytes = fresh(id, offset, to.count)
        precondition(bytes.count == to.count, "fresh bytes of the wrong length")
        output.append(contentsOf: bytes)
      }
    }
    return output
  }
}

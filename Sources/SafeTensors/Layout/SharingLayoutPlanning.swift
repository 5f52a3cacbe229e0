import SystemPackage

extension SharingLayout {
  /// Plans the output file made of `tensors`, whose input pieces are ranges of the input file
  /// described by `input` (its parsed header) and `fileSize`, for a file system whose blocks are
  /// `blockSize` bytes. The output's `__metadata__` is the input's.
  ///
  /// Among the layouts described in ``SharingLayout`` (each tensor kept in the input's order or
  /// moved after the others; the movers, the resized tensors that could share at the end, tried
  /// in every combination of up to four) it returns the one that shares the most bytes, then
  /// moves the fewest tensors, then copies the fewest bytes. Which bytes can be shared is
  /// computed exactly for the layout returned; the search itself estimates the bytes in the
  /// blocks that straddle two tensors.
  ///
  /// Every input `tensors` refers to must lie in `0..<fileSize`; pieces may come from anywhere
  /// in the input (several tensors, out of order, repeated).
  ///
  /// - Parameters:
  ///   - path: the name used in errors (usually the output's path).
  /// - Precondition: `blockSize` is a power of two, at least 8.
  /// - Throws: ``SafeTensorsError/invalidTensor(path:tensor:reason:)`` when a tensor's pieces do
  ///   not add up to its size or an input range lies outside the input; the writer's errors for
  ///   names, shapes and sizes (see ``SafeTensorsWriter/header(for:metadata:)``);
  ///   ``SafeTensorsError/headerTooLarge(path:length:)``.
  /// - Complexity: O(*m* · *t* · *B* + *p*) time and O(*t* · *B* / 4) bytes for *t* tensors,
  ///   *p* pieces, a block size of *B* bytes and *m* ≤ 16 combinations of movers (usually 1: the
  ///   search stops at the first layout that shares every shareable byte). Above 2^28 for
  ///   *t* · *B* it keeps the input's order without searching.
  public static func plan(
    _ tensors: [Tensor], input: SafeTensorsHeader, fileSize: Int, blockSize: Int,
    path: FilePath = "safetensors layout"
  ) throws(SafeTensorsError) -> Plan {
    precondition(blockSize >= 8 && blockSize.nonzeroBitCount == 1, "the block size must be a power of two, at least 8")
    let sizes = try validate(tensors, fileSize: fileSize, path: path)
    let context = LayoutContext(
      tensors: tensors, sizes: sizes, inputDataStart: input.dataStart, inputSize: fileSize,
      blockSize: blockSize)
    var best: Plan?
    func consider(_ arrangement: LayoutArrangement) throws(SafeTensorsError) {
      let plan = try context.materialize(arrangement, metadata: input.metadata, path: path)
      if let current = best {
        let better =
          (plan.sharedBytes, -plan.moved.count, -plan.copiedBytes)
          > (current.sharedBytes, -current.moved.count, -current.copiedBytes)
        if !better { return }
      }
      best = plan
    }
    if let natural = context.naturalArrangement() { try consider(natural) }
    if context.natural.count * blockSize <= 1 << 28 {
      var search = LayoutSearch(context: context)
      for movers in context.moverCombinations() {
        if let best, best.sharedBytes >= context.shareableBound { break }
        if let arrangement = search.run(movers: movers) { try consider(arrangement) }
      }
    }
    if best == nil { try consider(context.everythingMoved()) }
    return best!
  }

  /// Checks names, shapes and pieces; returns each tensor's byte size.
  private static func validate(
    _ tensors: [Tensor], fileSize: Int, path: FilePath
  ) throws(SafeTensorsError) -> [Int] {
    let entries = tensors.map { TensorToWrite(name: $0.name, dtype: $0.dtype, dimensions: $0.dimensions, segments: []) }
    var sizes: [TensorName: Int] = [:]
    for placed in try SafeTensorsWriter.layout(entries, path: path) {
      sizes[placed.tensor.name] = Int(placed.end - placed.begin)
    }
    var result: [Int] = []
    for tensor in tensors {
      let size = sizes[tensor.name] ?? 0
      var total = 0
      for piece in tensor.pieces {
        switch piece {
        case .input(let range) where range.lowerBound < 0 || range.upperBound > fileSize:
          throw .invalidTensor(
            path: path, tensor: tensor.name, reason: "piece \(range) lies outside the input (\(fileSize) bytes)")
        case .fresh(_, let count) where count < 0:
          throw .invalidTensor(path: path, tensor: tensor.name, reason: "a fresh piece of \(count) bytes")
        default: total += piece.count
        }
      }
      guard total == size else {
        throw .invalidTensor(
          path: path, tensor: tensor.name,
          reason: "its pieces hold \(total) bytes but \(tensor.dtype.rawValue) \(tensor.dimensions) needs \(size)")
      }
      result.append(size)
    }
    return result
  }
}

/// A layout chosen by the search: which tensors stay in the input's order, which are movers.
struct LayoutArrangement {
  /// The data section's offset modulo the block size.
  var firstResidue: Int
  /// For each position of ``LayoutContext/natural``: kept in the input's order.
  var kept: [Bool]
  /// Positions of ``LayoutContext/natural`` placed right after the kept tensors.
  var movers: [Int]
}

/// A run of an output tensor: its offset in the tensor and where its bytes come from.
struct LayoutSegment {
  var offset: Int
  var piece: SharingLayout.Piece
}

/// One output tensor as the search sees it.
struct LayoutItem {
  /// Its position in the caller's list.
  var index: Int
  var size: Int
  /// The absolute alignment its data must have in the output: 1, 2, 4 or 8.
  var alignment: Int
  /// The pieces without empty ones, adjacent input ranges merged.
  var segments: [LayoutSegment]
  /// Where its first input piece begins in the input, if it has one.
  var anchor: Int?
  /// One input range covering the whole tensor (an unchanged tensor).
  var isRigid: Bool
}

/// The tensors of one plan and what is fixed before the search.
struct LayoutContext {
  let tensors: [SharingLayout.Tensor]
  let items: [LayoutItem]
  let blockSize: Int
  let inputDataStart: Int
  let inputSize: Int
  /// Items with input pieces, by input offset of their first piece: the input's order.
  let natural: [Int]
  /// Items without input pieces (new tensors, empty tensors): always after the others.
  let freshOnly: [Int]
  /// The largest alignment any tensor may need: the input data section's, up to 8.
  let alignmentCap: Int
  /// Shared bytes of each natural position at each residue of the output cursor at its start,
  /// when it follows its predecessor in the input's order (`kept`) or not (`alone`).
  let keptValues: [[(residue: Int, bytes: Int)]]
  let aloneValues: [[(residue: Int, bytes: Int)]]
  /// An upper bound of the bytes any layout of the search can share.
  let shareableBound: Int

  init(tensors: [SharingLayout.Tensor], sizes: [Int], inputDataStart: Int, inputSize: Int, blockSize: Int) {
    self.tensors = tensors
    self.blockSize = blockSize
    self.inputDataStart = inputDataStart
    self.inputSize = inputSize
    let cap = LayoutContext.alignment(of: inputDataStart)
    alignmentCap = cap
    var items: [LayoutItem] = []
    for (index, tensor) in tensors.enumerated() {
      var segments: [LayoutSegment] = []
      var offset = 0
      for piece in tensor.pieces where piece.count > 0 {
        if case .input(let range) = piece, let last = segments.last, case .input(let previous) = last.piece,
          previous.upperBound == range.lowerBound
        {
          segments[segments.count - 1].piece = .input(previous.lowerBound..<range.upperBound)
        } else {
          segments.append(LayoutSegment(offset: offset, piece: piece))
        }
        offset += piece.count
      }
      let firstInput = segments.first { if case .input = $0.piece { true } else { false } }
      var anchor: Int?
      var inputAlignment = 8
      if let firstInput, case .input(let range) = firstInput.piece {
        anchor = range.lowerBound
        inputAlignment = LayoutContext.alignment(of: range.lowerBound - firstInput.offset)
      }
      let elementAlignment = tensor.dtype.bitSize >= 8 ? min(8, tensor.dtype.bitSize / 8) : 1
      let isRigid = segments.count == 1 && anchor != nil
      items.append(
        LayoutItem(
          index: index, size: sizes[index],
          alignment: sizes[index] == 0 ? 1 : min(elementAlignment, inputAlignment, cap),
          segments: segments, anchor: anchor, isRigid: isRigid))
    }
    self.items = items
    natural = items.filter { $0.anchor != nil }.sorted { ($0.anchor!, $0.index) < ($1.anchor!, $1.index) }.map(\.index)
    freshOnly = items.filter { $0.anchor == nil }.map(\.index)
    var kept: [[(residue: Int, bytes: Int)]] = []
    var alone: [[(residue: Int, bytes: Int)]] = []
    for (position, index) in natural.enumerated() {
      let follows = position > 0 && LayoutContext.follows(items[index], items[natural[position - 1]])
      alone.append(LayoutContext.values(of: items[index], continuing: false, blockSize: blockSize))
      kept.append(
        follows ? LayoutContext.values(of: items[index], continuing: true, blockSize: blockSize) : alone[position])
    }
    keptValues = kept
    aloneValues = alone
    shareableBound = kept.reduce(0) { $0 + ($1.map(\.bytes).max() ?? 0) }
  }

  /// The largest power of two up to 8 that divides `offset`.
  static func alignment(of offset: Int) -> Int {
    let low = offset & 7
    return low == 0 ? 8 : 1 << low.trailingZeroBitCount
  }

  /// Whether `item` begins with the input bytes that end `previous`, so that in the input's
  /// order the block they straddle can be shared.
  static func follows(_ item: LayoutItem, _ previous: LayoutItem) -> Bool {
    guard let first = item.segments.first, first.offset == 0, case .input(let range) = first.piece,
      let last = previous.segments.last, case .input(let before) = last.piece,
      last.offset + before.count == previous.size
    else { return false }
    return before.upperBound == range.lowerBound
  }

  /// The bytes of `item` a clone can share, by residue of the output offset where it starts:
  /// each input piece's whole blocks (from the block it shares with the previous tensor when
  /// `continuing`), at the one residue that puts it at its input offset modulo the block size.
  static func values(of item: LayoutItem, continuing: Bool, blockSize: Int) -> [(residue: Int, bytes: Int)] {
    let mask = blockSize - 1
    var byResidue: [Int: Int] = [:]
    for (position, segment) in item.segments.enumerated() {
      guard case .input(let range) = segment.piece else { continue }
      let start =
        continuing && position == 0 ? range.lowerBound & ~mask : (range.lowerBound + mask) & ~mask
      let bytes = (range.upperBound & ~mask) - start
      guard bytes > 0 else { continue }
      byResidue[(range.lowerBound - segment.offset) & mask, default: 0] += bytes
    }
    return byResidue.map { (residue: $0.key, bytes: $0.value) }.sorted { $0.residue < $1.residue }
  }

  /// The bytes shared by `values` at `residue`.
  static func value(_ values: [(residue: Int, bytes: Int)], at residue: Int) -> Int {
    values.first { $0.residue == residue }?.bytes ?? 0
  }

  /// The input's order, every tensor in it, when that keeps every tensor aligned.
  func naturalArrangement() -> LayoutArrangement? {
    let mask = blockSize - 1
    var cursor = inputDataStart & mask
    for index in natural {
      guard cursor & (items[index].alignment - 1) == 0 else { return nil }
      cursor = (cursor + items[index].size) & mask
    }
    let arrangement = LayoutArrangement(
      firstResidue: inputDataStart & mask, kept: Array(repeating: true, count: natural.count), movers: [])
    return fillersFit(after: cursor, arrangement) ? arrangement : nil
  }

  /// Every tensor after the (empty) kept part: the reference's kind of layout, always aligned.
  func everythingMoved() -> LayoutArrangement {
    LayoutArrangement(
      firstResidue: inputDataStart & (blockSize - 1), kept: Array(repeating: false, count: natural.count),
      movers: [])
  }

  /// Whether the tensors placed after the kept part and the movers, from `cursor` (a residue),
  /// are all aligned.
  private func fillersFit(after cursor: Int, _ arrangement: LayoutArrangement) -> Bool {
    var cursor = cursor
    for index in trailing(arrangement) {
      guard cursor & (items[index].alignment - 1) == 0 else { return false }
      cursor += items[index].size
    }
    return true
  }

  /// Sorts item indices as the tail of a layout: by alignment, largest first, then by `key`.
  func tailOrder(_ indices: [Int], key: (Int) -> Int) -> [Int] {
    indices.sorted { (-items[$0].alignment, key($0)) < (-items[$1].alignment, key($1)) }
  }

  /// The fillers (natural positions neither kept nor movers) and the fresh-only tensors, in the
  /// order they end the file.
  func trailing(_ arrangement: LayoutArrangement) -> [Int] {
    let movers = Set(arrangement.movers)
    let fillers = natural.indices.filter { !arrangement.kept[$0] && !movers.contains($0) }.map { natural[$0] }
    return tailOrder(fillers + freshOnly) { $0 }
  }

  /// The movers worth trying, by combination: none first, then every combination of up to four
  /// resized tensors that could share at the end, fewest first.
  func moverCombinations() -> [[Int]] {
    let candidates = natural.indices
      .filter { !items[natural[$0]].isRigid }
      .map { (position: $0, bytes: aloneValues[$0].map(\.bytes).max() ?? 0) }
      .filter { $0.bytes >= blockSize }
      .sorted { ($0.bytes, -$0.position) > ($1.bytes, -$1.position) }
      .prefix(4)
      .map(\.position)
    var combinations: [[Int]] = []
    for mask in 0..<(1 << candidates.count) {
      combinations.append(candidates.indices.filter { mask & (1 << $0) != 0 }.map { candidates[$0] }.sorted())
    }
    return combinations.sorted { $0.count < $1.count }
  }
}

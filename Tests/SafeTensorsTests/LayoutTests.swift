import Testing

@testable import SafeTensors

/// Headers laid out by the reference writer (tensors sorted by dtype, then name; compact JSON
/// padded to a multiple of 8), without data: the planner needs offsets, not bytes.
enum ModelHeaders {
  static func header(_ specs: [(String, DType, [Int])], metadata: [String: String]? = ["format": "pt"]) throws
    -> SafeTensorsHeader
  {
    let tensors = specs.map { TensorToWrite(name: TensorName($0.0), dtype: $0.1, shape: $0.2, segments: []) }
    let placed = try SafeTensorsWriter.layout(tensors, path: "test")
    let infos = placed.map {
      TensorInfo(
        name: $0.tensor.name, dtype: $0.tensor.dtype, shape: $0.tensor.shape,
        dataOffsets: Int($0.begin)..<Int($0.end))
    }
    let bytes = SafeTensorsWriter.header(for: placed, metadata: metadata)
    return SafeTensorsHeader(tensors: infos, metadata: metadata, dataStart: bytes.count)
  }

  /// A Llama-3-8B-shaped checkpoint as scripts/bench makes it: embedding and untied head BF16
  /// [128256, 4096], eight BF16 [4096, 4096] layer tensors, a norm.
  static func llama3() throws -> SafeTensorsHeader {
    var specs: [(String, DType, [Int])] = [
      ("model.embed_tokens.weight", .BF16, [128256, 4096]), ("lm_head.weight", .BF16, [128256, 4096]),
      ("model.norm.weight", .BF16, [4096]),
    ]
    for layer in 0..<2 {
      for part in ["q_proj", "k_proj", "v_proj", "o_proj"] {
        specs.append(("model.layers.\(layer).self_attn.\(part).weight", .BF16, [4096, 4096]))
      }
    }
    return try header(specs)
  }

  /// all-MiniLM-L6-v2's 104 tensors: I64 position ids, F32 embeddings [30522, 384], six layers.
  static func miniLM() throws -> SafeTensorsHeader {
    var specs: [(String, DType, [Int])] = [
      ("embeddings.position_ids", .I64, [1, 512]), ("embeddings.LayerNorm.bias", .F32, [384]),
      ("embeddings.LayerNorm.weight", .F32, [384]), ("embeddings.position_embeddings.weight", .F32, [512, 384]),
      ("embeddings.token_type_embeddings.weight", .F32, [2, 384]),
      ("embeddings.word_embeddings.weight", .F32, [30522, 384]),
      ("pooler.dense.bias", .F32, [384]), ("pooler.dense.weight", .F32, [384, 384]),
    ]
    for layer in 0..<6 {
      let prefix = "encoder.layer.\(layer)."
      for name in ["attention.output.LayerNorm", "output.LayerNorm"] {
        specs += [(prefix + name + ".bias", .F32, [384]), (prefix + name + ".weight", .F32, [384])]
      }
      for name in ["attention.output.dense", "attention.self.key", "attention.self.query", "attention.self.value"] {
        specs += [(prefix + name + ".bias", .F32, [384]), (prefix + name + ".weight", .F32, [384, 384])]
      }
      specs += [
        (prefix + "intermediate.dense.bias", .F32, [1536]), (prefix + "intermediate.dense.weight", .F32, [1536, 384]),
        (prefix + "output.dense.bias", .F32, [384]), (prefix + "output.dense.weight", .F32, [384, 1536]),
      ]
    }
    return try header(specs)
  }

  static func fileSize(_ header: SafeTensorsHeader) -> Int {
    header.dataStart + (header.tensors.map(\.dataOffsets.upperBound).max() ?? 0)
  }
}

/// Builds the output tensors of a change: every tensor of `header` unchanged but those in `changes`.
func outputs(
  _ header: SafeTensorsHeader, _ changes: [String: (TensorInfo, Int) -> SharingLayout.Tensor]
) -> [SharingLayout.Tensor] {
  header.tensors.map { tensor in
    changes[tensor.name.string].map { $0(tensor, header.dataStart + tensor.dataOffsets.lowerBound) }
      ?? .unchanged(tensor, in: header)
  }
}

/// `tensor` with `added` rows appended (fresh piece `id`).
func grown(by added: Int, id: Int) -> (TensorInfo, Int) -> SharingLayout.Tensor {
  { tensor, start in
    let rowBytes = tensor.byteCount / tensor.shape[0]
    var shape = tensor.shape
    shape[0] += added
    return SharingLayout.Tensor(
      name: tensor.name, dtype: tensor.dtype, shape: shape,
      pieces: [.input(start..<(start + tensor.byteCount)), .fresh(id: id, count: added * rowBytes)])
  }
}

/// `tensor` with the rows `rows` replaced by fresh pieces (ids `firstID`, `firstID` + 1, ...).
private func rewritten(rows: [Int], firstID: Int) -> (TensorInfo, Int) -> SharingLayout.Tensor {
  { tensor, start in
    let rowBytes = tensor.byteCount / tensor.shape[0]
    var pieces: [SharingLayout.Piece] = []
    var kept = 0
    for (index, row) in rows.sorted().enumerated() {
      if row > kept { pieces.append(.input((start + kept * rowBytes)..<(start + row * rowBytes))) }
      pieces.append(.fresh(id: firstID + index, count: rowBytes))
      kept = row + 1
    }
    if kept < tensor.shape[0] { pieces.append(.input((start + kept * rowBytes)..<(start + tensor.byteCount))) }
    return SharingLayout.Tensor(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, pieces: pieces)
  }
}

/// `tensor` with only the rows in `kept` (ascending runs), gathered.
func trimmed(to kept: [Range<Int>]) -> (TensorInfo, Int) -> SharingLayout.Tensor {
  { tensor, start in
    let rowBytes = tensor.byteCount / tensor.shape[0]
    var shape = tensor.shape
    shape[0] = kept.reduce(0) { $0 + $1.count }
    return SharingLayout.Tensor(
      name: tensor.name, dtype: tensor.dtype, shape: shape,
      pieces: kept.map { .input((start + $0.lowerBound * rowBytes)..<(start + $0.upperBound * rowBytes)) })
  }
}

/// Plans `changes` to `header` and checks the operations (the bytes themselves are checked by
/// the property test: these files are only headers).
private func plan(
  _ header: SafeTensorsHeader, blockSize: Int = 4096,
  _ changes: [String: (TensorInfo, Int) -> SharingLayout.Tensor]
) throws -> SharingLayout.Plan {
  let plan = try SharingLayout.plan(
    outputs(header, changes), input: header, fileSize: ModelHeaders.fileSize(header), blockSize: blockSize)
  try LayoutCase.checkOperations(plan, inputSize: ModelHeaders.fileSize(header))
  #expect((plan.dataStart - header.dataStart) % 8 == 0)
  return plan
}

private func dataBytes(_ header: SafeTensorsHeader) -> Int {
  ModelHeaders.fileSize(header) - header.dataStart
}

/// scripts/bench's resize: the embedding and the head grown by 1000 rows of 8 KiB, a whole number
/// of blocks: every byte but the new rows is shared, except the three blocks where the header
/// and the new rows meet old ones.
@Test func llama3GrownByAThousandRowsSharesAllButTheNewRows() throws {
  let llama = try ModelHeaders.llama3()
  let plan = try plan(
    llama, ["model.embed_tokens.weight": grown(by: 1000, id: 1), "lm_head.weight": grown(by: 1000, id: 2)])
  #expect(plan.moved.isEmpty)
  #expect(plan.freshBytes == 2 * 1000 * 8192)
  #expect(plan.copiedBytes < 3 * 4096)
  #expect(plan.sharedBytes + plan.copiedBytes == dataBytes(llama))
  #expect(plan.sharedBytes == 2_369_778_928)  // of 2,369,789,952 bytes of data
  #expect(plan.dataStart % 4096 == llama.dataStart % 4096)
  #expect(plan.tensors.map(\.name) == llama.tensors.map(\.name))
}

/// On 64 KiB blocks 1001 new head rows shift by 8 KiB modulo a block: the head moves to the
/// end, where it is congruent again, and the norm is moved as a filler.
@Test func llama3OnLargeBlocksMovesTheHead() throws {
  let llama = try ModelHeaders.llama3()
  let plan = try plan(
    llama, blockSize: 65536,
    ["model.embed_tokens.weight": grown(by: 1000, id: 1), "lm_head.weight": grown(by: 1001, id: 2)])
  #expect(plan.moved.map(\.string) == ["lm_head.weight", "model.norm.weight"])
  #expect(plan.tensors.last?.name.string == "model.norm.weight")
  #expect(plan.copiedBytes <= 4 * 65536)
  #expect(plan.sharedBytes + plan.copiedBytes == dataBytes(llama))
}

/// all-MiniLM-L6-v2's F32 [30522, 384] embedding, whose 1536-byte rows are not whole blocks.
@Test(arguments: [1, 5, 8, 1000])
func miniLMGrowth(added: Int) throws {
  let mini = try ModelHeaders.miniLM()
  let plan = try plan(mini, ["embeddings.word_embeddings.weight": grown(by: added, id: 1)])
  #expect(plan.sharedBytes + plan.copiedBytes == dataBytes(mini))
  #expect(plan.freshBytes == added * 1536)
  switch added {
  case 1:
    // 1536 bytes of growth: one 1536-byte LayerNorm vector after the embedding moves to the end.
    #expect(plan.moved.map(\.string) == ["encoder.layer.0.attention.output.LayerNorm.bias"])
    #expect(plan.copiedBytes < 4 * 4096)
  case 5:
    // 7680 ≡ 3584: five 1536-byte vectors are needed, and only three lie before the first
    // 576 KiB weight after the embedding: two weights are copied (1.2% of the file).
    #expect(plan.moved.count == 5)
    #expect(plan.copiedBytes < 1_200_000)
    #expect(plan.sharedBytes > dataBytes(mini) * 98 / 100)
  default:
    // 8 rows are 3 blocks: nothing moves.
    #expect(plan.moved.isEmpty)
    #expect(plan.copiedBytes < 2 * 4096)
  }
}

/// Rows 100 and 101 of the MiniLM embedding dropped: the runs before and after are 3072 bytes
/// apart modulo a block. The large run after them is shared (the header's padding puts it in
/// step, the two LayerNorm vectors after the embedding absorb the shift for the rest); the
/// small run before them and the position embeddings are copied.
@Test func miniLMTrimGathersRowRuns() throws {
  let mini = try ModelHeaders.miniLM()
  let embedding = try #require(mini.tensor(named: "embeddings.word_embeddings.weight"))
  let plan = try plan(mini, ["embeddings.word_embeddings.weight": trimmed(to: [0..<100, 102..<30522])])
  let secondStart = mini.dataStart + embedding.dataOffsets.lowerBound + 102 * 1536
  let secondRun = secondStart..<(mini.dataStart + embedding.dataOffsets.upperBound)
  let cloned = plan.operations.reduce(0) { total, operation in
    guard case .clone(let from, _) = operation else { return total }
    return total + from.clamped(to: secondRun).count
  }
  #expect(cloned > secondRun.count - 2 * 4096)
  #expect(plan.sharedBytes > dataBytes(mini) * 98 / 100)
  #expect(plan.sharedBytes + plan.copiedBytes == dataBytes(mini) - 2 * 1536)
}

/// Llama 3's 256 reserved rows dropped from the embedding and the head: 2 MiB, whole blocks.
@Test func llama3TrimmedSharesEverything() throws {
  let llama = try ModelHeaders.llama3()
  let plan = try plan(
    llama,
    ["model.embed_tokens.weight": trimmed(to: [0..<128000]), "lm_head.weight": trimmed(to: [0..<128000])])
  #expect(plan.moved.isEmpty)
  #expect(plan.copiedBytes < 3 * 4096)
  #expect(plan.sharedBytes + plan.copiedBytes == dataBytes(llama) - 2 * 256 * 8192)
}

/// fix-untrained: rows rewritten in the embedding and the head, no growth. The header is the
/// input's byte for byte, nothing moves, only the blocks holding rewritten rows are written.
@Test func fixUntrainedRewritesRowsInPlace() throws {
  let llama = try ModelHeaders.llama3()
  let rows = [5, 77777, 100_000] + Array(128000..<128256)
  let plan = try plan(
    llama,
    [
      "model.embed_tokens.weight": rewritten(rows: rows, firstID: 0),
      "lm_head.weight": rewritten(rows: rows, firstID: 1000),
    ])
  let original = try SafeTensorsWriter.header(
    for: llama.tensors.map { TensorToWrite(name: $0.name, dtype: $0.dtype, shape: $0.shape, segments: []) },
    metadata: llama.metadata)
  #expect(plan.header == original)
  #expect(plan.moved.isEmpty)
  #expect(plan.freshBytes == 2 * rows.count * 8192)
  // Each run of rewritten rows leaves at most two partly old blocks; the header one more.
  #expect(plan.copiedBytes <= (1 + 2 * 4 * 2) * 4096)
  #expect(plan.sharedBytes + plan.copiedBytes + plan.freshBytes == dataBytes(llama))
}

/// Small files with real bytes, checked byte for byte (see ``LayoutCase/check()``).
private func smallCase(
  blockSize: Int, specs: [(name: String, dtype: DType, shape: [Int])], padding: Int,
  metadata: String? = #""__metadata__":{"format":"pt"}"#,
  change: (SafeTensorsHeader) -> [SharingLayout.Tensor]
) throws -> (LayoutCase, SharingLayout.Plan) {
  var generator = SeededChoices(state: 7)
  let (bytes, header) = LayoutCase.file(
    specs, dataOrder: Array(specs.indices), headerOrder: Array(specs.indices), metadata: metadata, padding: padding
  ) { UInt8(truncatingIfNeeded: generator.next(below: 256)) }
  let parsed = try #require(header)
  let outputs = change(parsed)
  let isIdentity = outputs == parsed.tensors.map { SharingLayout.Tensor.unchanged($0, in: parsed) }
  let layoutCase = LayoutCase(
    blockSize: blockSize, input: bytes, header: parsed, outputs: outputs, isIdentity: isIdentity)
  return (layoutCase, try layoutCase.check())
}

private func unchanged(_ header: SafeTensorsHeader) -> [SharingLayout.Tensor] {
  header.tensors.map { .unchanged($0, in: header) }
}

@Test func fileSmallerThanABlock() throws {
  let (_, plan) = try smallCase(
    blockSize: 4096, specs: [("a", .F32, [3, 5]), ("b", .BF16, [7])], padding: 3
  ) { header in
    outputs(header, ["a": grown(by: 2, id: 1)])
  }
  #expect(plan.sharedBytes == 0)
  #expect(plan.fileSize < 4096)
}

/// A header whose length is not a multiple of 8 keeps its remainder (modulo the block size
/// too), so the data keeps its alignment and is shared.
@Test func oddHeaderLengthKeepsItsRemainder() throws {
  let (layoutCase, plan) = try smallCase(
    blockSize: 64, specs: [("a", .U8, [301]), ("b", .BF16, [40, 3])], padding: 5, change: unchanged)
  #expect((layoutCase.header.dataStart - 8) % 8 != 0)
  #expect(plan.dataStart % 64 == layoutCase.header.dataStart % 64)
  #expect(plan.sharedBytes > 0)
}

/// An unchanged file the reference wrote, planned again, is the same file byte for byte.
@Test func unchangedFileIsReproduced() throws {
  let tensors = [("w", DType.F32, [100, 30]), ("b", .F32, [30]), ("i", .I64, [9])].map {
    TensorToWrite(name: TensorName($0.0), dtype: $0.1, shape: $0.2, segments: [])
  }
  var generator = SeededChoices(state: 3)
  var bytes = try SafeTensorsWriter.header(for: tensors, metadata: ["format": "pt"])
  for _ in 0..<(12000 + 120 + 72) { bytes.append(UInt8(truncatingIfNeeded: generator.next(below: 256))) }
  let header = try bytes.withUnsafeBytes { try SafeTensorsHeader(parsing: $0, path: "reference") }
  let plan = try SharingLayout.plan(unchanged(header), input: header, fileSize: bytes.count, blockSize: 512)
  #expect(bytes.withUnsafeBytes { plan.assemble(input: $0, fresh: LayoutCase.fresh) } == bytes)
  #expect(plan.sharedBytes == bytes.count - 512)
}

/// A new tensor with a long name grows the header past several blocks: the data section keeps
/// its offset modulo the block size, so everything is still shared.
@Test func headerGrowingPastBlocks() throws {
  let (layoutCase, plan) = try smallCase(
    blockSize: 256, specs: [("a", .F32, [200, 4]), ("b", .F16, [333])], padding: 0
  ) { header in
    unchanged(header) + [
      SharingLayout.Tensor(
        name: TensorName(String(repeating: "n", count: 1000)), dtype: .U8, shape: [5], pieces: [.fresh(id: 9, count: 5)]
      )
    ]
  }
  #expect(plan.dataStart > layoutCase.header.dataStart + 1000)
  #expect(plan.dataStart % 256 == layoutCase.header.dataStart % 256)
  let data = layoutCase.input.count - layoutCase.header.dataStart
  #expect(plan.sharedBytes >= data - 2 * 256)
}

@Test func piecesThatDoNotFitAreRejected() throws {
  let header = try ModelHeaders.header([("a", .F32, [4])])
  let size = ModelHeaders.fileSize(header)
  let start = header.dataStart
  func kind(_ tensors: [SharingLayout.Tensor]) -> SafeTensorsError.Kind? {
    do {
      _ = try SharingLayout.plan(tensors, input: header, fileSize: size, blockSize: 4096)
      return nil
    } catch {
      return error.kind
    }
  }
  #expect(kind([.init(name: "a", dtype: .F32, shape: [4], pieces: [.input(start..<(start + 12))])]) == .invalidTensor)
  #expect(kind([.init(name: "a", dtype: .F32, shape: [4], pieces: [.input(start..<(start + 17))])]) == .invalidTensor)
  #expect(
    kind([.init(name: "a", dtype: .F32, shape: [1], pieces: [.fresh(id: 0, count: -4), .fresh(id: 1, count: 8)])])
      == .invalidTensor)
  #expect(
    kind([.init(name: "a", dtype: .U8, shape: [0], pieces: []), .init(name: "a", dtype: .U8, shape: [0], pieces: [])])
      == .duplicateTensor)
  #expect(kind([.init(name: "__metadata__", dtype: .U8, shape: [0], pieces: [])]) == .reservedName)
}

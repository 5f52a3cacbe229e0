import SafeTensors
import Tokenization

/// The complete plan of a resize: which tokens get which ids, which rows are written and how,
/// which tensors change. Making a plan reads only headers and the tokenizer; ``execute(into:progress:)``
/// does the work.
public struct ResizePlan: Sendable {
  /// A token that will be added.
  public struct PlannedToken: Sendable, Equatable {
    /// The token's text.
    public var token: String
    /// The id it gets.
    public var id: Int
    /// The reserved placeholder it replaces (`--reuse-reserved`), or `nil` when its row is new.
    public var slot: ReservedSlots.Slot? = nil
  }

  /// The model being resized.
  public let model: ModelCheckpoint
  /// What was asked.
  public let request: ResizeRequest
  /// The tensors that change.
  public var roles: TensorRoles { tensors.roles }
  /// The tensors and the files holding them.
  let tensors: LocatedRoles
  /// Tokens to add, in id order.
  public let added: [PlannedToken]
  /// Tokens not added.
  public let skipped: [ResizeReport.SkippedToken]
  /// Rows before and after.
  public let rowsBefore: Int
  public let rowsAfter: Int
  /// The reserved slots found (`--reuse-reserved`), or `nil` when reuse is off.
  public let reservedSlots: ReservedSlots?

  /// The ids of every reserved slot (taken or not): untrained rows the statistics leave out.
  var reservedSlotIDs: [Int] { reservedSlots?.allIDs ?? [] }

  /// Rows at or past ``rowsBefore`` that no new token takes (they get the mean row).
  public var paddingRows: [Int] {
    let taken = Set(added.map(\.id))
    return (rowsBefore..<rowsAfter).filter { !taken.contains($0) }
  }

  /// Rows that exist already and are re-initialized for new tokens (padded vocabularies).
  public var reusedRows: [Int] { added.filter { $0.slot == nil }.map(\.id).filter { $0 < rowsBefore } }

  /// The names of the tensors that change.
  public var changedTensors: [String] {
    [roles.embedding, roles.head, roles.headBias].compactMap { $0?.name.string }
  }

  /// Plans a resize.
  ///
  /// - Throws: ``SurgeryError`` when the model or the request cannot be used.
  public init(model: ModelCheckpoint, request: ResizeRequest) throws(SurgeryError) {
    self.model = model
    self.request = request
    if let multiple = request.padToMultipleOf, multiple < 1 {
      throw .invalidRequest(path: model.path, reason: "--pad-to-multiple-of must be at least 1")
    }
    tensors = try LocatedRoles(model: model, embeddingName: request.embeddingName, headName: request.headName)
    rowsBefore = tensors.roles.embedding.shape[0]

    var freeSlots: ArraySlice<ReservedSlots.Slot> = []
    if request.reuseReserved {
      guard model.isFolder, let tokenizerPath = model.tokenizerPath, tokenizerPath == model.path + "/tokenizer.json"
      else {
        throw .invalidRequest(
          path: model.path,
          reason: "--reuse-reserved needs a model folder with its tokenizer.json (the reserved tokens are renamed there)")
      }
      let slots = try ReservedSlots(model: model, rows: rowsBefore)
      reservedSlots = slots
      freeSlots = slots.available[...]
    } else {
      reservedSlots = nil
    }
    // Ids: reserved slots first (ascending), then from the tokenizer's size, in file order, as
    // `tokenizer.add_tokens` assigns them.
    var nextID = model.vocabulary?.size ?? rowsBefore
    var seen = Set<[UInt8]>()
    var added: [PlannedToken] = []
    var skipped: [ResizeReport.SkippedToken] = []
    for token in request.tokens {
      guard seen.insert(Array(token.utf8)).inserted else {
        skipped.append(.init(token: token, reason: "duplicate"))
        continue
      }
      if let existing = model.vocabulary?.id(of: token) {
        skipped.append(.init(token: token, reason: "already in the vocabulary as id \(existing)"))
        continue
      }
      if let slot = freeSlots.popFirst() {
        added.append(PlannedToken(token: token, id: slot.id, slot: slot))
        continue
      }
      added.append(PlannedToken(token: token, id: nextID))
      nextID += 1
    }
    self.added = added
    self.skipped = skipped
    var rows = max(rowsBefore, (added.map(\.id).max() ?? -1) + 1)
    if let multiple = request.padToMultipleOf, rows % multiple != 0 {
      rows += multiple - rows % multiple
    }
    rowsAfter = rows
    if !(request.noiseScale >= 0 && request.noiseScale.isFinite) {
      throw .invalidRequest(path: model.path, reason: "--noise-scale must be a finite number ≥ 0")
    }
    if request.initialization == .nearest, model.vocabulary == nil {
      throw .initialization(
        path: model.path,
        reason: "--init nearest needs a tokenizer.json (beside the model or given with --tokenizer)")
    }
  }

  /// Where the output goes by default: `NAME-resized.safetensors` beside a file,
  /// `DIR-resized` beside a folder.
  public var defaultOutputPath: String {
    var path = model.path
    while path.count > 1, path.hasSuffix("/") { path.removeLast() }
    if model.isFolder { return path + "-resized" }
    if path.hasSuffix(".safetensors") {
      return String(path.dropLast(".safetensors".count)) + "-resized.safetensors"
    }
    return path + "-resized"
  }
}

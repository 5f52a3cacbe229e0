import SafeTensors
import Tokenization

/// The complete plan of a resize: which tokens get which ids, which rows are written and how,
/// which tensors change. Making a plan reads only headers and the tokenizer;
/// ``execute(into:linkingUnchanged:progress:)`` (the pipeline of ``RowRewritingPlan``) does the work:
/// every row kept, the new rows written from ``rowSource``, the tokenizer files edited.
public struct ResizePlan: RowRewritingPlan {
  /// A token that will be added: its id, and the reserved slot it takes (`nil` for a new row).
  public struct PlannedToken: Sendable, Equatable {
    /// The token and the id it gets.
    public var token: Token
    /// The reserved placeholder it replaces (reusing reserved slots), or `nil` when its row is new.
    public var slot: ReservedSlots.Slot? = nil
  }

  public static let outputSuffix = "resized"
  public typealias Report = ResizeReport

  /// The model being resized.
  public let model: ModelCheckpoint
  /// What was asked.
  public let request: ResizeRequest
  /// The embedding, an untied head and a head bias: the tensors that grow.
  public let roles: TensorRoles
  /// Tokens to add, in id order.
  public let added: [PlannedToken]
  /// Tokens not added.
  public let skipped: [ResizeReport.SkippedToken]
  /// Rows before and after.
  public let rowsBefore: Int
  public let rowsAfter: Int
  /// The reserved slots found (when reusing them), or `nil`.
  public let reservedSlots: ReservedSlots?

  /// The ids of every reserved slot (taken or not): untrained rows the statistics leave out.
  var reservedSlotIDs: [Int] { reservedSlots?.allIDs ?? [] }

  /// Rows at or past ``rowsBefore`` that no new token takes (they get the mean row).
  public var paddingRows: [Int] {
    let taken = Set(added.map(\.token.id))
    return (rowsBefore..<rowsAfter).filter { !taken.contains($0) }
  }

  /// A resize always writes its output (with nothing to add, a copy of the input).
  public var writesAnything: Bool { true }

  /// Rows that exist already and are re-initialized for new tokens (padded vocabularies).
  public var reusedRows: [Int] { added.filter { $0.slot == nil }.map(\.token.id).filter { $0 < rowsBefore } }

  /// Plans a resize.
  ///
  /// - Throws: ``SurgeryError`` when the model or the request cannot be used.
  public init(model: ModelCheckpoint, request: ResizeRequest) throws(SurgeryError) {
    self.model = model
    self.request = request
    if let multiple = request.padToMultipleOf, multiple < 1 {
      throw .invalidRequest(
        path: model.path, reason: "the row count cannot be padded to a multiple of \(multiple)")
    }
    roles = try LocatedRoles(model: model, embeddingName: request.embeddingName, headName: request.headName).roles
    rowsBefore = roles.embedding.shape[0]

    var freeSlots: ArraySlice<ReservedSlots.Slot> = []
    if request.reuseReserved {
      guard model.isFolder, model.ownsTokenizerJSON else {
        throw .invalidRequest(
          path: model.path,
          reason:
            "reusing reserved slots needs a model folder with its tokenizer.json (the reserved tokens are renamed there)"
        )
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
    for text in request.tokens {
      guard seen.insert(Array(text.utf8)).inserted else {
        skipped.append(.init(token: text, reason: "duplicate"))
        continue
      }
      if let existing = model.vocabulary?.id(of: text) {
        skipped.append(.init(token: text, reason: "already in the vocabulary as id \(existing)"))
        continue
      }
      if let slot = freeSlots.popFirst() {
        added.append(PlannedToken(token: Token(id: slot.token.id, text: text), slot: slot))
        continue
      }
      added.append(PlannedToken(token: Token(id: nextID, text: text)))
      nextID += 1
    }
    self.added = added
    self.skipped = skipped
    var rows = max(rowsBefore, (added.map(\.token.id).max() ?? -1) + 1)
    if let multiple = request.padToMultipleOf, rows % multiple != 0 {
      rows += multiple - rows % multiple
    }
    rowsAfter = rows
    if request.initialization == .nearest, model.vocabulary == nil {
      throw .missingTokenizer(path: model.path, for: .nearestRule)
    }
  }
}

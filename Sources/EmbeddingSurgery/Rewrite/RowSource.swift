/// Where the written rows of a rewrite come from (the ``RowMap/Run/written(_:)`` runs of a
/// ``RowMap``): an initialization rule (``InitializedRows``), rows combined from original rows, or
/// nothing at all (``KeptRows``, for a surgery that only keeps rows).
///
/// The pipeline (``RowRewritingPlan/execute(into:linkingUnchanged:progress:)``) drives a source
/// in two steps, on one thread, while a second thread copies the rest of the checkpoint:
/// ``prepare(_:threads:)`` once (statistics, factors, a tokenizer...), then
/// ``fill(_:of:into:)`` chunk after chunk, tensor after tensor in the order of `tensors` and each
/// tensor's written rows in output order, into a buffer of at most 8 MiB, so memory does not grow
/// with the rows written. A source that draws random numbers draws them in that order.
public protocol RowSource: Sendable {
  /// What making the rows found, for the report (notes, the rule applied, ...).
  associatedtype Outcome: Sendable

  /// Prepares the written rows of `tensors` (the embedding, an untied head, a head bias, in that
  /// order), using up to `threads` threads.
  mutating func prepare(_ tensors: [RewrittenTensor], threads: Int) throws(SurgeryError)

  /// Writes the written rows `rows` (numbers of written rows, see ``RowMap``) of `tensors[tensor]`
  /// into `destination`, which holds exactly `rows.count` rows of that tensor's
  /// ``RewrittenTensor/rowBytes``. The original rows are read through the tensor
  /// (``RewrittenTensor/matrix``).
  mutating func fill(
    _ rows: Range<Int>, of tensor: Int, into destination: UnsafeMutableRawBufferPointer
  ) throws(SurgeryError)

  /// What making the rows found, once every row is written.
  var outcome: Outcome { get }
}

/// The row source of a surgery that writes no row: every output row is an original row (trim).
public struct KeptRows: RowSource {
  /// The source of a row map without written rows.
  package init() {}

  public mutating func prepare(_ tensors: [RewrittenTensor], threads: Int) {}

  /// Never called: a map without written rows asks for none. Writes zeros.
  public mutating func fill(_ rows: Range<Int>, of tensor: Int, into destination: UnsafeMutableRawBufferPointer) {
    destination.initializeMemory(as: UInt8.self, repeating: 0)
  }

  public var outcome: Void { () }
}

/// Plans a safetensors file made from another one so that a copy-on-write file system (XFS with
/// reflink, btrfs) can share the bytes that do not change instead of copying them.
///
/// `copy_file_range` and `FICLONERANGE` share blocks only between offsets that are equal modulo
/// the file system's block size, so a byte can be shared only where the output keeps it at the
/// same offset modulo the block size as in the input. The planner chooses a layout that keeps as
/// many input bytes as it can at such offsets, and says which output ranges to clone, which to
/// copy and where the caller's new bytes go. It knows nothing of embeddings: a caller describes
/// each output tensor as an ordered list of pieces, each either a range of the input file or
/// bytes it will produce (``Piece``), and gets a ``Plan``.
///
/// The layout (see ``plan(_:input:fileSize:blockSize:path:)``):
/// - the header is padded with spaces (the format allows any whitespace after the JSON object) so
///   that the data section starts at the offset modulo the block size the layout needs, usually
///   the input's own; its length keeps the input's remainder modulo 8 (a multiple of 8 when the
///   input's is, the input's remainder otherwise, so that its data keeps its alignment);
/// - tensors keep the input's order and offsets wherever they can (their blocks are shared);
///   a tensor whose change would shift the rest may be moved after them (offsets in a
///   safetensors file need not follow any order, only be contiguous), and small tensors may be
///   moved (copied, cheap) as fillers that bring the big ones back into step: the choice is a
///   dynamic program over the residues modulo the block size;
/// - no tensor ends up less aligned than its bytes were in the input (up to the size of its
///   element; new tensors: their element size, up to the input data section's alignment), so
///   a reader that maps the file and reads elements in place still can.
///
/// The output is always a valid safetensors file with exactly the requested bytes; how much is
/// shared is best effort.
public enum SharingLayout {
  /// A run of an output tensor's bytes.
  public enum Piece: Sendable, Hashable {
    /// Bytes `range` of the input file (absolute offsets, the header included).
    case input(Range<Int>)
    /// `count` bytes the caller produces; `id` tells it which (unique per plan by convention).
    case fresh(id: Int, count: Int)

    /// The number of bytes.
    public var count: Int {
      switch self {
      case .input(let range): range.count
      case .fresh(_, let count): count
      }
    }
  }

  /// A tensor of the output: its header entry and its bytes, piece after piece.
  public struct Tensor: Sendable, Hashable {
    /// The name.
    public var name: TensorName
    /// The element type.
    public var dtype: DType
    /// The dimensions exactly as the header gives them (empty for a 0-d tensor).
    public var dimensions: [UInt64]
    /// The bytes, in order; their counts must add up to the size of `dtype` × the dimensions.
    public var pieces: [Piece]

    /// Creates an output tensor.
    ///
    /// - Precondition: no dimension is negative.
    public init(name: TensorName, dtype: DType, shape: [Int], pieces: [Piece]) {
      precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
      self.init(name: name, dtype: dtype, dimensions: shape.map { UInt64($0) }, pieces: pieces)
    }

    /// Creates an output tensor with the header's exact dimensions.
    public init(name: TensorName, dtype: DType, dimensions: [UInt64], pieces: [Piece]) {
      self.name = name
      self.dtype = dtype
      self.dimensions = dimensions
      self.pieces = pieces
    }

    /// The dimensions as `Int`s (see ``TensorInfo/shape``).
    public var shape: [Int] { dimensions.map { Int(clamping: $0) } }

    /// `tensor` of the input whose header is `header`, unchanged.
    public static func unchanged(_ tensor: TensorInfo, in header: SafeTensorsHeader) -> Tensor {
      let start = header.dataStart + tensor.dataOffsets.lowerBound
      return Tensor(
        name: tensor.name, dtype: tensor.dtype, dimensions: tensor.dimensions,
        pieces: [.input(start..<(start + tensor.byteCount))])
    }
  }

  /// One step of writing the output, in output order; together the steps write every byte of
  /// the output exactly once.
  public enum Operation: Sendable, Hashable {
    /// Write ``Plan/header`` at `range` (always first, at offset 0).
    case header(Range<Int>)
    /// Share input bytes `from` at output offset `to` (`FICLONERANGE`, or `copy_file_range`
    /// which shares on such a range): both offsets are multiples of the block size, and so is
    /// the length unless the range ends at the end of both files.
    case clone(from: Range<Int>, to: Int)
    /// Copy input bytes `from` to output offset `to` (they cannot be shared: unaligned heads
    /// and tails of shared runs, bytes whose offset moved, fillers).
    case copy(from: Range<Int>, to: Int)
    /// Write bytes `offset..<offset + to.count` of the fresh piece `id` at `to`.
    case fresh(id: Int, offset: Int, to: Range<Int>)

    /// The output bytes the operation writes.
    public var output: Range<Int> {
      switch self {
      case .header(let range): range
      case .clone(let from, let to), .copy(let from, let to): to..<(to + from.count)
      case .fresh(_, _, let to): to
      }
    }
  }

  /// Where every output byte comes from.
  public struct Plan: Sendable {
    /// The block size the plan was made for.
    public let blockSize: Int
    /// The complete header: 8-byte length, JSON (tensors in ``tensors`` order), space padding.
    public let header: [UInt8]
    /// The output tensors in data order, with offsets relative to the data section.
    public let tensors: [TensorInfo]
    /// The operations, in output order, covering `0..<fileSize` exactly once.
    public let operations: [Operation]
    /// The size of the output file.
    public let fileSize: Int
    /// Bytes planned as shared (the sum of the `.clone` lengths).
    public let sharedBytes: Int
    /// Bytes copied from the input (the sum of the `.copy` lengths).
    public let copiedBytes: Int
    /// Bytes the caller produces (the sum of the `.fresh` lengths).
    public let freshBytes: Int
    /// The tensors with input bytes that the layout moved after those kept in the input's order
    /// (resized tensors placed at the end, fillers), in output order.
    public let moved: [TensorName]

    /// The offset of the data section (the header's size).
    public var dataStart: Int { header.count }
  }
}

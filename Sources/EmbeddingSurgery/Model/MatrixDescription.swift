import SafeTensors

/// What a report says of the embedding or the head: its tensor's name, shape and dtype. The one
/// description of a matrix in every report.
///
/// JSON: `{"name", "rows", "dim", "dtype"}`.
public struct MatrixDescription: Encodable, Sendable, Equatable {
  /// The tensor's name.
  public var name: String
  /// Rows (the vocabulary) and columns (the hidden size).
  public var rows: Int
  public var dimension: Int
  /// The dtype (`BF16`, ...).
  public var dtype: String

  enum CodingKeys: String, CodingKey {
    case name, rows
    case dimension = "dim"
    case dtype
  }

  /// The description of a 2-D matrix (a 1-D tensor counts as one column).
  public init(_ tensor: TensorInfo) {
    name = tensor.name.string
    rows = tensor.shape.first ?? 1
    dimension = tensor.shape.count > 1 ? tensor.shape[1] : 1
    dtype = tensor.dtype.rawValue
  }

  /// `name DTYPE [rows, dim]`.
  public var text: String { "\(name) \(dtype) [\(rows), \(dimension)]" }
}

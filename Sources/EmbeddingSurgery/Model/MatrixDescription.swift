import SafeTensors
import StrictJSON

/// What a report says of the embedding or the head: its tensor's name, shape and dtype. The one
/// description `inspect`, `audit` and `diff` share.
public struct MatrixDescription: Sendable, Equatable {
  /// The tensor's name.
  public var name: String
  /// Rows (the vocabulary) and columns (the hidden size).
  public var rows: Int
  public var dimension: Int
  /// The dtype (`BF16`, ...).
  public var dtype: String

  /// The description of a 2-D matrix (a 1-D tensor counts as one column).
  public init(_ tensor: TensorInfo) {
    name = tensor.name.string
    rows = tensor.shape.first ?? 1
    dimension = tensor.shape.count > 1 ? tensor.shape[1] : 1
    dtype = tensor.dtype.rawValue
  }

  /// The members `{"name", "rows", "dim", "dtype"}`, for reports that add their own after them.
  public var jsonMembers: [JSONMember] {
    [
      JSONMember("name", .string(name)), JSONMember("rows", .number(JSONNumber(rows))),
      JSONMember("dim", .number(JSONNumber(dimension))), JSONMember("dtype", .string(dtype)),
    ]
  }

  /// `{"name", "rows", "dim", "dtype"}`.
  public var json: JSONValue { .object(jsonMembers) }

  /// `name DTYPE [rows, dim]`.
  public var text: String { "\(name) \(dtype) [\(rows), \(dimension)]" }
}

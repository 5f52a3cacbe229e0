import SafeTensors
import SystemPackage

/// A tensor whose rows a surgery rewrites: the embedding, an untied head, or a head bias (whose
/// "rows" are its entries), with the file that holds it. What a ``RowSource`` is given to read the
/// original rows from.
public struct RewrittenTensor: Sendable {
  /// Its header entry.
  package let tensor: TensorInfo
  /// The checkpoint file holding it, by name.
  package let fileName: String
  /// The file holding it.
  package let file: SafeTensorsFile
  /// Its element format.
  package let format: FloatingPointFormat
  /// Bytes per row (per entry of a bias).
  package let rowBytes: Int
  /// The axis that counts rows (the last one of a `[1, rows]` bias).
  package let rowAxis: Int

  /// Whether it is a head bias: its rows are single entries.
  package let isBias: Bool

  /// The rows before the rewrite.
  package var rows: Int { tensor.shape[rowAxis] }

  /// The original rows of a matrix (not a bias), read in windows.
  package var matrix: MatrixRows { MatrixRows(tensor: tensor, file: file, format: format) }

  /// The matrix or bias `tensor` of `file`, checked to have a floating-point format (an error
  /// names `modelPath`).
  init(
    _ tensor: TensorInfo, named fileName: String, in file: SafeTensorsFile, isBias: Bool, modelPath: FilePath
  ) throws(SurgeryError) {
    let format = try FloatingPointFormat.of(tensor, path: modelPath)
    self.isBias = isBias
    self.tensor = tensor
    self.fileName = fileName
    self.file = file
    self.format = format
    self.rowAxis = isBias ? tensor.shape.count - 1 : 0
    self.rowBytes = isBias ? format.byteWidth : tensor.shape[1] * format.byteWidth
  }
}

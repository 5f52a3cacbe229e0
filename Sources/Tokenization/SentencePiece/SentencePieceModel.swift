import SystemPackage

/// A SentencePiece `tokenizer.model` file (a protobuf `ModelProto`): its pieces, read without
/// swift-protobuf, and its bytes, kept for rewriting.
///
/// `ModelProto` field 1 is the repeated `SentencePiece` {1: piece, 2: score (float), 3: type};
/// fields 2 to 5 are the trainer, normalizer, self-test and denormalizer specs.
public struct SentencePieceModel: Sendable {
  /// What a piece is for (`SentencePiece.Type`).
  public struct PieceType: RawRepresentable, Sendable, Hashable {
    /// The enum's number in the file (any value is kept, known or not).
    public var rawValue: Int
    /// The type numbered `rawValue`.
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// An ordinary piece.
    public static let normal = PieceType(rawValue: 1)
    /// The unknown piece.
    public static let unknown = PieceType(rawValue: 2)
    /// A control symbol (`<s>`, `</s>`), never matched in text.
    public static let control = PieceType(rawValue: 3)
    /// A user-defined symbol, matched whole in the text before segmentation.
    public static let userDefined = PieceType(rawValue: 4)
    /// A piece the model never outputs.
    public static let unused = PieceType(rawValue: 5)
    /// A byte piece (`<0x41>`), for byte fallback.
    public static let byte = PieceType(rawValue: 6)
  }

  /// One piece; its id is its index in ``pieces``.
  public struct Piece: Sendable, Equatable {
    /// The piece's UTF-8 bytes.
    public var bytes: [UInt8]
    /// The piece's score (a log probability for Unigram, a merge priority for BPE).
    public var score: Float
    /// The piece's type.
    public var type: PieceType
    /// The piece as text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }
  }

  /// The file's path, for error messages.
  public let path: FilePath
  /// The file's bytes.
  public let bytes: [UInt8]
  /// The pieces, by id.
  public let pieces: [Piece]
  /// Whether the trainer spec turns byte fallback on (the model then needs all 256 byte pieces).
  public let byteFallback: Bool
  /// The self-test samples (input, expected pieces joined by spaces) that `sentencepiece` checks
  /// when it loads the model. A trim must keep their pieces: add the inputs to the corpus.
  public let selfTestSamples: [(input: String, expected: String)]
  /// The top-level fields, for rewriting.
  package let fields: [ProtobufWire.Field]

  /// Reads a model from its bytes.
  ///
  /// - Throws: ``TokenizationError/malformed(path:what:)`` when the bytes are not a
  ///   `ModelProto` (a truncated field, a piece without text, ...).
  /// - Complexity: O(*n*) in the size of the file.
  public init(bytes: [UInt8], path: FilePath) throws(TokenizationError) {
    self.path = path
    self.bytes = bytes
    func read(_ range: Range<Int>, _ what: String) throws(TokenizationError) -> [ProtobufWire.Field] {
      try Self.fields(of: bytes, in: range, what, path: path)
    }
    fields = try read(0..<bytes.count, "the file")
    var pieces: [Piece] = []
    var byteFallback = false
    var samples: [(input: String, expected: String)] = []
    for field in fields {
      switch (field.number, field.wireType) {
      case (1, .lengthDelimited):
        pieces.append(try Self.piece(in: field.payload, of: bytes, what: "pieces[\(pieces.count)]", path: path))
      case (2, .lengthDelimited):
        for member in try read(field.payload, "trainer_spec")
        where member.number == 35 && member.wireType == .varint {
          byteFallback = member.varint != 0
        }
      case (4, .lengthDelimited):
        for sample in try read(field.payload, "self_test_data")
        where sample.number == 1 && sample.wireType == .lengthDelimited {
          var input = ""
          var expected = ""
          for member in try read(sample.payload, "self_test_data.samples")
          where member.wireType == .lengthDelimited {
            let text = String(decoding: bytes[member.payload], as: UTF8.self)
            if member.number == 1 { input = text } else if member.number == 2 { expected = text }
          }
          samples.append((input, expected))
        }
      default: break
      }
    }
    self.pieces = pieces
    self.byteFallback = byteFallback
    self.selfTestSamples = samples
  }

  /// The fields of the message `what` at `range` of `bytes`.
  private static func fields(
    of bytes: [UInt8], in range: Range<Int>, _ what: String, path: FilePath
  ) throws(TokenizationError) -> [ProtobufWire.Field] {
    do throws(ProtobufWire.Problem) {
      return try ProtobufWire.fields(of: bytes, in: range)
    } catch {
      throw .malformed(path: path, what: "\(what) is not a protobuf message: \(error.reason)")
    }
  }

  /// The `SentencePiece` message `what` at `range` of `bytes`: its text (required), its score
  /// (a little-endian `float`) and its type.
  private static func piece(
    in range: Range<Int>, of bytes: [UInt8], what: String, path: FilePath
  ) throws(TokenizationError) -> Piece {
    var piece = Piece(bytes: [], score: 0, type: .normal)
    var hasText = false
    for member in try fields(of: bytes, in: range, what, path: path) {
      switch (member.number, member.wireType) {
      case (1, .lengthDelimited):
        piece.bytes = Array(bytes[member.payload])
        hasText = true
      case (2, .fixed32):
        var bits: UInt32 = 0
        for (shift, byte) in bytes[member.payload].enumerated() {
          bits |= UInt32(byte) << (8 * UInt32(shift))
        }
        piece.score = Float(bitPattern: bits)
      case (3, .varint): piece.type = PieceType(rawValue: Int(truncatingIfNeeded: member.varint))
      default: break
      }
    }
    guard hasText else { throw .malformed(path: path, what: "\(what) has no piece text") }
    return piece
  }

  /// Reads a model file.
  ///
  /// - Throws: ``TokenizationError`` when the file cannot be read or is not a `ModelProto`.
  public init(contentsOf path: FilePath) throws(TokenizationError) {
    try self.init(bytes: try readFile(path), path: path)
  }

  /// The ids of the pieces `sentencepiece` cannot do without, whatever the corpus: the unknown
  /// piece, control and user-defined symbols, and the byte pieces when it falls back to bytes.
  /// Pass them to ``TokenizerTrim`` as ids to keep.
  public var requiredIDs: [Int] {
    pieces.indices.filter { isRequired(pieces[$0]) }
  }

  /// Whether removing `piece` would change how `sentencepiece` loads or encodes.
  func isRequired(_ piece: Piece) -> Bool {
    switch piece.type {
    case .unknown, .control, .userDefined: true
    case .byte: byteFallback
    default: false
    }
  }
}

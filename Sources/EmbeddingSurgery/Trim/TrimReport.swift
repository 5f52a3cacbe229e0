/// What a trim did (or, for a dry run, would do): sizes before and after, and the renumbering a
/// pipeline needs to remap an already tokenized dataset.
///
/// JSON (`trim --json`): `{"schema_version", "rows_before", "rows_after", "kept", "removed",
/// "bytes_before", "bytes_after", "resized": [names], "output", "id_map": [[old, new], ...],
/// "skipped": [tokens], "corpus": {"texts", "tokens"}, "written", "notes": [text]}`.
public struct TrimReport: SurgeryReport, Equatable {
  /// A kept token's old and new id; JSON `[old, new]`.
  public struct Renumbered: Encodable, Sendable, Equatable {
    public var old: Int
    public var new: Int

    /// The token that had id `old` has id `new`.
    public init(old: Int, new: Int) {
      self.old = old
      self.new = new
    }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.unkeyedContainer()
      try container.encode(old)
      try container.encode(new)
    }
  }

  /// How much text the corpus held; JSON `{"texts", "tokens"}`.
  public struct Corpus: Encodable, Sendable, Equatable {
    /// The texts of the corpus.
    public var texts: Int
    /// The tokens they encoded to, with the tokenizer before the trim.
    public var tokens: Int
  }

  /// Rows of the embedding before and after.
  public var rowsBefore: Int
  public var rowsAfter: Int
  /// Tokens kept and removed.
  public var kept: Int
  public var removed: Int
  /// The bytes of the checkpoint's safetensors files before and after.
  public var bytesBefore: Int
  public var bytesAfter: Int
  /// The tensors whose rows were gathered.
  public var resized: [String]
  /// Where the result was (or would be) written.
  public var output: String
  /// Every kept token's old and new id, ascending.
  public var renumbering: [Renumbered]
  /// Requested `keep` tokens that are not in the vocabulary.
  public var skipped: [String]
  /// The texts of the corpus, and the tokens they encoded to.
  public var corpus: Corpus
  /// Whether a checkpoint was written.
  public var written: Bool
  /// Remarks for a person (an empty corpus, nothing to remove, hard links...).
  public var notes: [String]

  enum CodingKeys: String, CodingKey {
    case rowsBefore = "rows_before"
    case rowsAfter = "rows_after"
    case kept, removed
    case bytesBefore = "bytes_before"
    case bytesAfter = "bytes_after"
    case resized, output
    case renumbering = "id_map"
    case skipped, corpus, written, notes
  }

  /// `(old id, new id)` of every kept token, ascending (``renumbering`` as pairs).
  public var idMap: [(old: Int, new: Int)] { renumbering.map { ($0.old, $0.new) } }
}

import SafeTensors
import StrictJSON
import SystemPackage
import Tokenization

/// `embsurgery diff A B`: what changed between two tokenizers or checkpoints.
///
/// A and B are each a tokenizer.json file, a `.safetensors` file or a model folder (any of
/// tokenizer.json, config.json and a checkpoint). What both sides have is compared:
/// - tokens (model vocabulary and `added_tokens`, by UTF-8 bytes): added, removed, renamed (same id,
///   new text), moved (same text, new id), added-token flags changed;
/// - `config.json`'s `vocab_size` (folders);
/// - the embedding and the head (checkpoints): the rows that differ and by how much, in one
///   streaming pass over both matrices; rows past the shorter matrix are added or removed rows.
public struct CheckpointDiff: SurgeryReport {
  /// A token whose id kept its place but whose text changed.
  public struct Renamed: Sendable, Equatable {
    public var id: Int
    /// The token in A.
    public var before: TokenizerVocabulary.Entry
    /// The token in B.
    public var after: TokenizerVocabulary.Entry
  }

  /// A token whose text is on both sides, at different ids.
  public struct Moved: Encodable, Sendable, Equatable {
    public var text: String
    /// Its id in A and in B.
    public var before: Int
    public var after: Int

    enum CodingKeys: String, CodingKey {
      case text = "token"
      case before, after
    }
  }

  /// A token on both sides whose added-token flags differ.
  public struct FlagChange: Encodable, Sendable, Equatable {
    /// The token in B (id and text).
    public var id: Int
    public var text: String
    /// The flags that differ: name (`added_token`, `special`, `normalized`, `lstrip`, `rstrip`,
    /// `single_word`) with the value in A and in B. When the token is an added token on one side
    /// only, the changes are `added_token` and `special` (`nil` on the side where it is not an
    /// added token).
    public var changes: [FlagDifference]

    enum CodingKeys: String, CodingKey {
      case id
      case text = "token"
      case changes
    }
  }

  /// One flag of a token that differs between A and B; JSON `{"flag", "before", "after"}`.
  public struct FlagDifference: Encodable, Sendable, Equatable {
    /// `added_token`, `special`, `normalized`, `lstrip`, `rstrip` or `single_word`.
    public var flag: String
    /// The value in A and in B (`nil` where the token is not an added token).
    public var before: Bool?
    public var after: Bool?

    /// A flag that was `before` in A and is `after` in B.
    public init(flag: String, before: Bool?, after: Bool?) {
      self.flag = flag
      self.before = before
      self.after = after
    }
  }

  /// A row that differs, and by how much; JSON `{"id", "max_abs_diff"}` (null when infinite).
  public struct DifferingRow: Encodable, Sendable, Equatable {
    public var id: Int
    /// The largest absolute difference of its elements (infinite when a NaN or an infinity is
    /// involved).
    public var maxAbsDifference: Double

    enum CodingKeys: String, CodingKey {
      case id
      case maxAbsDifference = "max_abs_diff"
    }
  }

  /// `config.json`'s `vocab_size` on each side; JSON `{"a", "b"}`.
  public struct VocabularySizes: Encodable, Sendable, Equatable {
    public var a: Int?
    public var b: Int?
  }

  /// How the embedding or the head differs.
  public struct MatrixDiff: Sendable {
    /// `embedding` or `head`.
    public var role: MatrixRole
    /// The matrix in A and in B (`nil` when that side has none: a tied head).
    public var a: MatrixDescription?
    public var b: MatrixDescription?
    /// Rows compared (the shorter matrix's rows; 0 when they cannot be compared).
    public var comparedRows: Int
    /// Differing rows among those compared, ascending, with their largest absolute difference
    /// (infinite when a NaN or an infinity is involved).
    public var rows: [DifferingRow]
    /// Rows only B has, and rows only A has.
    public var addedRows: Range<Int>?
    public var removedRows: Range<Int>?
    /// Why the rows were not compared, when they were not.
    public var problem: String?

    /// The largest difference and its row.
    public var largest: DifferingRow? {
      rows.max { $0.maxAbsDifference < $1.maxAbsDifference }
    }

    /// Whether anything differs.
    public var differs: Bool {
      !rows.isEmpty || addedRows != nil || removedRows != nil || problem != nil || a?.dtype != b?.dtype
        || a?.name != b?.name
    }
  }

  /// The paths compared.
  public let a: String
  public let b: String
  /// Tokens only in B, only in A, renamed, moved, and with changed flags; each ascending by id.
  public let added: [TokenizerVocabulary.Entry]
  public let removed: [TokenizerVocabulary.Entry]
  public let renamed: [Renamed]
  public let moved: [Moved]
  public let flagsChanged: [FlagChange]
  /// `config.json`'s `vocab_size` in A and in B, when both are folders with a config.json.
  public let vocabularySize: VocabularySizes?
  /// The embedding and head comparisons (when both sides have a checkpoint).
  public let matrices: [MatrixDiff]
  /// What could not be compared, and why.
  public let notes: [String]

  /// Whether no difference was found (`diff` exits with 0; else 3).
  public var isIdentical: Bool {
    added.isEmpty && removed.isEmpty && renamed.isEmpty && moved.isEmpty && flagsChanged.isEmpty
      && (vocabularySize.map { $0.a == $0.b } ?? true) && !matrices.contains { $0.differs }
  }

  /// Compares `a` and `b`: each a path, or a Hugging Face repository id in the local cache
  /// (at `revisionA` or `revisionB`, default `main`).
  ///
  /// - Throws: ``SurgeryError`` when a path does not exist or a file is malformed.
  /// - Complexity: O(tokens) for the tokenizers; O(rows × dimension) for each matrix pair, in
  ///   windows whose pages are released.
  public init(a: String, b: String, revisionA: String? = nil, revisionB: String? = nil) throws(SurgeryError) {
    self.a = a
    self.b = b
    let left = try DiffSide(a, revision: revisionA)
    let right = try DiffSide(b, revision: revisionB)
    var notes: [String] = []
    var tokens = TokenChanges()
    if let before = left.tokens, let after = right.tokens {
      tokens = TokenChanges(from: before, to: after)
    } else if left.tokens != nil || right.tokens != nil {
      notes.append("tokens not compared: only \(left.tokens != nil ? "A" : "B") has a tokenizer.json")
    }
    added = tokens.added
    removed = tokens.removed
    renamed = tokens.renamed
    moved = tokens.moved
    flagsChanged = tokens.flagsChanged
    if left.hasConfig, right.hasConfig {
      vocabularySize = VocabularySizes(a: left.configVocabularySize, b: right.configVocabularySize)
    } else {
      vocabularySize = nil
    }
    if let first = left.checkpoint, let second = right.checkpoint {
      matrices = try CheckpointDiff.compareMatrices(
        of: first, configVocabularySize: left.configVocabularySize, path: FilePath(a), with: second,
        configVocabularySize: right.configVocabularySize, path: FilePath(b))
    } else {
      matrices = []
      if left.checkpoint != nil || right.checkpoint != nil {
        notes.append("weights not compared: only \(left.checkpoint != nil ? "A" : "B") has a checkpoint")
      }
    }
    self.notes = notes
  }

  /// The embeddings of `first` and `second` compared, and their heads when either has one.
  static func compareMatrices(
    of first: Checkpoint, configVocabularySize firstRows: Int?, path a: FilePath, with second: Checkpoint,
    configVocabularySize secondRows: Int?, path b: FilePath
  ) throws(SurgeryError) -> [MatrixDiff] {
    let rolesA = try CheckpointDiff.roles(of: first, configVocabularySize: firstRows, path: a)
    let rolesB = try CheckpointDiff.roles(of: second, configVocabularySize: secondRows, path: b)
    var matrices = [
      try CheckpointDiff.compare(rolesA.embedding, in: first, with: rolesB.embedding, in: second, role: .embedding)
    ]
    if rolesA.head != nil || rolesB.head != nil {
      matrices.append(try CheckpointDiff.compare(rolesA.head, in: first, with: rolesB.head, in: second, role: .head))
    }
    return matrices
  }

  /// What changed from one vocabulary to the other, each list in id order.
  struct TokenChanges {
    var added: [TokenizerVocabulary.Entry] = []
    var removed: [TokenizerVocabulary.Entry] = []
    var renamed: [Renamed] = []
    var moved: [Moved] = []
    var flagsChanged: [FlagChange] = []

    /// No change (the tokens were not compared).
    init() {}

    /// Compares `before` with `after` by text: a text only `before` has is removed (renamed when
    /// `after` has a new text at its id), a text only `after` has is added.
    init(from before: TokenizerVocabulary, to after: TokenizerVocabulary) {
      var gone: [Int: TokenizerVocabulary.Entry] = [:]
      var new: [Int: TokenizerVocabulary.Entry] = [:]
      for entry in before.entries {
        guard let other = after.entry(forText: entry.token.text) else {
          gone[entry.token.id] = entry
          continue
        }
        if other.token.id != entry.token.id {
          moved.append(Moved(text: entry.token.text, before: entry.token.id, after: other.token.id))
        }
        let changes = CheckpointDiff.flagChanges(entry.added, other.added)
        if !changes.isEmpty {
          flagsChanged.append(FlagChange(id: other.token.id, text: other.token.text, changes: changes))
        }
      }
      for entry in after.entries where before.entry(forText: entry.token.text) == nil {
        new[entry.token.id] = entry
      }
      for (id, entry) in gone {
        if let replacement = new[id] {
          renamed.append(Renamed(id: id, before: entry, after: replacement))
          new[id] = nil
        } else {
          removed.append(entry)
        }
      }
      added = new.values.sorted { $0.token.id < $1.token.id }
      removed.sort { $0.token.id < $1.token.id }
      renamed.sort { $0.id < $1.id }
      moved.sort { ($0.after, $0.before) < ($1.after, $1.before) }
      flagsChanged.sort { $0.id < $1.id }
    }
  }

  /// The flag differences between two sides' added-token entries of the same text.
  static func flagChanges(_ before: AddedToken?, _ after: AddedToken?) -> [FlagDifference] {
    if before == nil, after == nil { return [] }
    var changes: [FlagDifference] = []
    if (before == nil) != (after == nil) {
      // A vocabulary token became an added token (or the reverse): say so, and whether it is special.
      changes.append(FlagDifference(flag: "added_token", before: before != nil, after: after != nil))
      changes.append(FlagDifference(flag: "special", before: before?.special, after: after?.special))
      return changes
    }
    let flags: [(String, KeyPath<AddedToken, Bool>)] = [
      ("special", \.special), ("normalized", \.normalized), ("lstrip", \.lstrip), ("rstrip", \.rstrip),
      ("single_word", \.singleWord),
    ]
    for (name, path) in flags {
      let old = before?[keyPath: path]
      let new = after?[keyPath: path]
      if old != new { changes.append(FlagDifference(flag: name, before: old, after: new)) }
    }
    return changes
  }

  static func roles(of checkpoint: Checkpoint, configVocabularySize: Int?, path: FilePath) throws(SurgeryError)
    -> TensorRoles
  {
    let tensors: [(info: TensorInfo, fileName: String)]
    do {
      tensors = try checkpoint.tensors()
    } catch {
      throw .safeTensors(error)
    }
    return try TensorRoles.find(in: tensors.map(\.info), configVocabularySize: configVocabularySize, path: path)
  }

  static func compare(
    _ first: TensorInfo?, in a: Checkpoint, with second: TensorInfo?, in b: Checkpoint, role: MatrixRole
  ) throws(SurgeryError) -> MatrixDiff {
    var diff = MatrixDiff(
      role: role, a: first.map(MatrixDescription.init), b: second.map(MatrixDescription.init), comparedRows: 0,
      rows: [])
    guard let first, let second else {
      diff.problem = "the head is tied to the embedding in \(first == nil ? "A" : "B") only"
      return diff
    }
    let left = try MatrixRows(first, in: a)
    let right = try MatrixRows(second, in: b)
    guard left.dimension == right.dimension else {
      diff.problem = "the dimension changed from \(left.dimension) to \(right.dimension); rows not compared"
      return diff
    }
    let count = min(left.rows, right.rows)
    diff.comparedRows = count
    diff.rows = RowDifferences(left, right, count: count).rows
    if right.rows > count { diff.addedRows = count..<right.rows }
    if left.rows > count { diff.removedRows = count..<left.rows }
    return diff
  }
}

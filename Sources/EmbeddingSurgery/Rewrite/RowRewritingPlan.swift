import SafeTensors
import SystemPackage

/// A surgery that rewrites the rows of the embedding, an untied head and a head bias: resize,
/// fix-untrained, trim (and every operation of that kind). A plan says what differs; the one
/// ``execute(into:linkingUnchanged:progress:)`` of this protocol runs the shared steps:
///
/// 1. checks the output (``SurgeryOutput``) against the input;
/// 2. lays out the changed safetensors files (``RowMap``: original rows shared with the input on
///    a copy-on-write file system, written rows left as holes), asks the plan for its
///    ``editedFiles()`` and updates the shard index's total size;
/// 3. copies the rest on a second thread while the ``rowSource`` prepares its rows on this one
///    and fills them a chunk at a time into their places;
/// 4. moves the result into place (nothing is left at the output path on any error) and asks the
///    plan for its ``report(output:run:)``.
///
/// ## Adding an operation
///
/// Make a folder with a request, a report (``SurgeryReport``) and a plan that conforms to this
/// protocol. The plan works out, when it is made (reading headers, not rows):
/// - ``model`` and ``roles`` (``LocatedRoles`` finds them), ``outputSuffix`` and
///   ``writesAnything``;
/// - ``rowMap``: where each output row comes from, original rows (in any order) or written rows
///   (``RowMap/rewriting(rows:writtenIDs:rowsAfter:)``, ``RowMap/gathering(_:)``, or runs of your
///   own);
/// - ``rowSource``: what fills the written rows: ``InitializedRows`` for an initialization rule,
///   ``KeptRows`` when there are none, or a ``RowSource`` of your own that fills a buffer of rows
///   given the original rows (``RewrittenTensor/matrix``);
/// - ``editedFiles()``: the new bytes of the folder's other files (tokenizer, config), keyed by
///   path relative to the model's root;
/// - ``report(output:run:)``.
///
/// Execution, dry runs, ``changedTensors``, the shard index and the copy of every other file come
/// from this protocol; the command line runs any plan through ``SurgeryPlan``.
public protocol RowRewritingPlan: SurgeryPlan {
  /// What fills the written rows.
  associatedtype Rows: RowSource

  /// Where each output row of the embedding (and of the head and the head bias) comes from.
  var rowMap: RowMap { get }

  /// What fills the written rows of ``rowMap``, before it is prepared.
  var rowSource: Rows { get }

  /// The new bytes of the files of the model's folder that change besides the safetensors files
  /// (tokenizer.json, tokenizer_config.json, config.json...), keyed by path relative to the
  /// model's root (``ModelCheckpoint/path``). Asked only of a folder; the shard index's total
  /// size is updated by the pipeline.
  func editedFiles() throws(SurgeryError) -> [FilePath: [UInt8]]

  /// Files of the model's folder left out of the output, as paths relative to the model's root
  /// (transplant: a tokenizer file the donor lacks). None by default.
  var removedFiles: [String] { get }

  /// The report of a run that wrote `output` (or, for a dry run or a plan that writes nothing,
  /// would have written it).
  func report(output: FilePath, run: RewriteRun<Rows.Outcome>) throws(SurgeryError) -> Report
}

extension RowRewritingPlan {
  public var removedFiles: [String] { [] }

  /// The report of the plan without writing anything (`--dry-run`).
  public func dryRunReport(output: SurgeryOutput) throws(SurgeryError) -> Report {
    try report(output: FilePath(outputPath(for: output)), run: .dryRun)
  }

  /// Carries out the plan into `output`: writes the new checkpoint (and, for a folder, every other
  /// file, the edited ones replaced) to a temporary path beside the output, then moves it into
  /// place. Writes nothing when ``writesAnything`` is false. On any error nothing is left at the
  /// output path and the input is untouched (but for ``SurgeryOutput/inPlace``, where it is
  /// replaced only once the new checkpoint is complete).
  ///
  /// - Parameters:
  ///   - linkingUnchanged: hard-link the files that do not change instead of copying them (the
  ///     output must be on the input's file system).
  ///   - progress: called with (bytes done, bytes in all) from time to time, from either thread.
  /// - Complexity: the changed files' new bytes, the row source's work (statistics over the
  ///   matrices, for the initialization rules), and a copy of the rest (shared instead of copied
  ///   on a copy-on-write file system); memory does not grow with the rows written.
  public func execute(
    into output: SurgeryOutput, linkingUnchanged: Bool = false,
    progress: (@Sendable (Int64, Int64) -> Void)? = nil
  ) throws(SurgeryError) -> Report {
    guard writesAnything else { return try report(output: FilePath(outputPath(for: output)), run: .nothingToWrite) }
    let destination = try destination(for: output, linkingUnchanged: linkingUnchanged)
    let rewrite = try RowRewrite(self)
    let edited = model.isFolder ? try rewrite.shardIndexEdit(editedFiles()) : [:]
    var rows = rowSource
    try rewrite.write(
      &rows, edited: edited, to: destination, linkingUnchanged: linkingUnchanged, progress: progress)
    return try report(
      output: FilePath(destination.path), run: .written(rows.outcome, notes: linkNotes(linkingUnchanged)))
  }

  /// The names of the tensors that change (none when the plan writes nothing or keeps every row
  /// as it is).
  public var changedTensors: [String] {
    writesAnything && !rowMap.isIdentity(rows: roles.embedding.shape[0]) ? rewrittenTensors : []
  }

  /// How many bytes the checkpoint's tensor data grows (negative when it shrinks).
  package func dataSizeChange() throws(SurgeryError) -> Int {
    try RowRewrite(self).dataSizeChange
  }
}

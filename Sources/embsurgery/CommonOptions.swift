import ArgumentParser
import EmbeddingSurgery
import StrictJSON
import SystemPackage

// The option declarations that the commands share, each declared once. Every command lists them
// where it always did, with the same names and help.

/// `--embedding` and `--head`: the tensors a command works on (detected by default).
struct TensorOptions: ParsableArguments {
  @Option(help: "The embedding tensor's name (default: detected).")
  var embedding: String?

  @Option(help: "The output head's name (default: detected; none means tied).")
  var head: String?
}

/// `--revision` of every command that takes MODEL: a model may be a path or a Hugging Face
/// repository id, found offline in the local cache.
struct ModelLocationOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "For a Hugging Face repository id: the branch, tag or commit hash of the cached snapshot (default: main).",
      discussion:
        "MODEL may be a repository id (ORG/NAME), resolved offline in the cache HF_HUB_CACHE, HF_HOME/hub, XDG_CACHE_HOME/huggingface/hub or ~/.cache/huggingface/hub; a path that exists always wins."
    ))
  var revision: String?

  /// The model `name` names: a path, or a repository id in the local Hugging Face cache.
  func open(_ name: String, tokenizer: String? = nil) throws(SurgeryError) -> ModelCheckpoint {
    try ModelCheckpoint.open(name, revision: revision, tokenizerPath: tokenizer.map { FilePath($0) })
  }
}

/// `--tokenizer`, `--embedding` and `--head` of `resize` and `audit`.
struct ModelOptions: ParsableArguments {
  @Option(help: "The tokenizer.json to use (default: the one in the folder or beside the file).")
  var tokenizer: String?

  @OptionGroup var tensors: TensorOptions
}

/// `--output` and `--in-place` of the commands that write a checkpoint: where the result goes.
struct DestinationOptions: ParsableArguments {
  @Option(help: "Where to write the result (default: beside the input).")
  var output: String?

  @Flag(help: "Replace the input (the old checkpoint stays intact until the new one is complete).")
  var inPlace = false

  func validate() throws {
    if inPlace, output != nil { throw ValidationError("--output and --in-place cannot be used together") }
  }
}

/// `--dry-run`, `--json`, `--force`, `--link-unchanged` and `--quiet` of the commands that write a
/// checkpoint.
struct OutputOptions: ParsableArguments {
  @Flag(help: "Print the plan and write nothing.")
  var dryRun = false

  @Flag(help: "Print the report as JSON on standard output.")
  var json = false

  @Flag(help: "Replace an existing output.")
  var force = false

  @Flag(
    help: ArgumentHelp(
      "Make the files that do not change hard links to the input's (same file system only).",
      discussion: "The two folders then share those files: editing one in place edits both."))
  var linkUnchanged = false

  @Flag(help: "No progress bar.")
  var quiet = false

  @Option(
    help: ArgumentHelp(
      "How progress is shown on standard error: bar (on a terminal only), jsonl or none.",
      discussion:
        "jsonl writes one JSON object a step, {\"schema_version\":1,\"done\":N,\"total\":N,\"unit\":\"bytes\"}, on its own line, terminal or not."
    ))
  var progress: ProgressStyle = .bar
}

extension OutputOptions {
  /// Where the result of `plan` goes: over the input with `--in-place`, else at `--output`
  /// (by default beside the input).
  func destination<Plan: SurgeryPlan>(of plan: Plan, _ options: DestinationOptions) -> SurgeryOutput {
    options.inPlace
      ? .inPlace : .path(options.output.map { FilePath($0) } ?? plan.defaultOutputPath, replacingExisting: force)
  }

  /// The shared body of the surgeries (`resize`, `fix-untrained`, `trim`, `extend`, `transplant`):
  /// the plan `makePlan` builds (an error becomes the command's failure), run by
  /// ``run(_:into:text:)`` into ``destination(of:_:)``.
  func run<Plan: SurgeryPlan>(
    planning makePlan: () throws(SurgeryError) -> Plan, into destination: DestinationOptions,
    text: (Plan.Report, Bool) -> String
  ) throws {
    let plan: Plan
    do {
      plan = try makePlan()
    } catch {
      throw CommandOutput.failure(error)
    }
    try run(plan, into: self.destination(of: plan, destination), text: text)
  }

  /// The shared end of the surgeries: the plan's dry-run report with `--dry-run`, else the
  /// report of executing it into `destination` (with progress on standard error as `--progress`
  /// says, unless `--quiet` or the plan writes nothing; `--json` goes to standard output, so the
  /// two do not mix); then the report on standard output, as one line of JSON with `--json`, else
  /// as `text` renders it (told whether it is a dry run).
  private func run<Plan: SurgeryPlan>(
    _ plan: Plan, into destination: SurgeryOutput, text: (Plan.Report, Bool) -> String
  ) throws {
    let report: Plan.Report
    do {
      if dryRun {
        report = try plan.dryRunReport(output: destination)
      } else {
        let bar = ProgressBar.standardError(progress, enabled: !quiet && plan.writesAnything)
        defer { bar?.finish() }
        report = try plan.execute(into: destination, linkingUnchanged: linkUnchanged, progress: bar?.update)
      }
    } catch {
      throw CommandOutput.failure(error)
    }
    try CommandOutput.print(report, json: json, text: text(report, dryRun))
  }
}

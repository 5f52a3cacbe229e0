import ArgumentParser

// The option declarations that `resize`, `fix-untrained` and `audit` share, each declared once.
// Every command lists them where it always did, with the same names and help.

/// `--embedding` and `--head`: the tensors a command works on (detected by default).
struct TensorOptions: ParsableArguments {
  @Option(help: "The embedding tensor's name (default: detected).")
  var embedding: String?

  @Option(help: "The output head's name (default: detected; none means tied).")
  var head: String?
}

/// `--tokenizer`, `--embedding` and `--head` of `resize` and `audit`.
struct ModelOptions: ParsableArguments {
  @Option(help: "The tokenizer.json to use (default: the one in the folder or beside the file).")
  var tokenizer: String?

  @OptionGroup var tensors: TensorOptions
}

/// `--dry-run`, `--json`, `--force` and `--quiet` of the commands that write a checkpoint.
struct OutputOptions: ParsableArguments {
  @Flag(help: "Print the plan and write nothing.")
  var dryRun = false

  @Flag(help: "Print the report as JSON on standard output.")
  var json = false

  @Flag(help: "Replace an existing output.")
  var force = false

  @Flag(help: "No progress bar.")
  var quiet = false
}

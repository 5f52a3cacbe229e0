import ArgumentParser
import EmbeddingSurgery
import StrictJSON

extension TransplantInitialization: ExpressibleByArgument {}

/// `embsurgery transplant`: give a model another tokenizer.
struct Transplant: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "transplant",
    abstract: "Give a model another model's tokenizer: tokens matched by their bytes keep their rows exactly.",
    discussion: """
      MODEL is a model folder (a bare .safetensors file needs --tokenizer, and then only the safetensors file \
      is written). DONOR is a folder (or a Hugging Face cache id) with a tokenizer.json, with or without \
      weights. A donor token that stands for the same bytes as a base token (Ġ and ▁ are spaces, byte tokens \
      are bytes) takes the base row byte for byte, in the embedding and an untied head; special tokens match by \
      content, then by role (bos, eos, unk, mask, pad). The other rows: --init omp (default with donor weights) \
      expresses the donor's row by at most --k donor rows of matched tokens and applies the same coefficients \
      to their base rows; --init nearest (default without weights) averages the base rows of the token's \
      pieces under the base tokenizer; --init mean takes the mean row. The output has the donor's row count \
      (its config's vocab_size when it covers the tokenizer) and the donor's tokenizer files; config.json's \
      vocab_size and special-token ids become the donor's. Without --output the result goes beside the input \
      (DIR-transplanted).
      """
  )

  @Argument(help: "A model folder (or a .safetensors file with --tokenizer).")
  var model: String

  @Option(help: "The donor: a folder or Hugging Face cache id with a tokenizer.json (and optionally weights).")
  var donor: String

  @Option(name: .customLong("init"), help: "How rows of unmatched tokens are made: omp, nearest or mean.")
  var initialization: TransplantInitialization?

  @Option(name: .customLong("k"), help: "At most this many atoms per pursuit (omp).")
  var atoms: Int = 64

  @Option(help: "Round the row count up to a multiple of this (padding rows get the mean row).")
  var padToMultipleOf: Int?

  @OptionGroup var location: ModelLocationOptions

  @Option(help: "For a donor named by a Hugging Face repository id: the branch, tag or commit hash (default: main).")
  var donorRevision: String?

  @Option(help: "The tokenizer.json to use (default: the one in the folder or beside the file).")
  var tokenizer: String?

  @OptionGroup var destination: DestinationOptions

  @OptionGroup var outputOptions: OutputOptions

  func validate() throws {
    if atoms < 1 { throw ValidationError("--k must be at least 1") }
    if let padToMultipleOf, padToMultipleOf < 1 { throw ValidationError("--pad-to-multiple-of must be at least 1") }
  }

  func run() throws {
    try outputOptions.run(planning: makePlan, into: destination) {
      TransplantSummary(report: $0, dryRun: $1).text
    }
  }

  private func makePlan() throws(SurgeryError) -> TransplantPlan {
    let checkpoint = try location.open(model, tokenizer: tokenizer)
    let donorModel = try TransplantDonor.open(donor, revision: donorRevision)
    let request = TransplantRequest(
      donor: donorModel, initialization: initialization, atoms: atoms, padToMultipleOf: padToMultipleOf)
    return try TransplantPlan(model: checkpoint, request: request)
  }
}

/// The human summary of a transplant.
struct TransplantSummary {
  let report: TransplantReport
  let dryRun: Bool

  var text: String {
    var lines: [String] = []
    let matched = report.matched.bytes + report.matched.special + report.matched.role
    let rule = report.initialization == .omp ? "omp, k \(report.atoms)" : report.initialization.rawValue
    lines.append(
      "\(dryRun ? "Would match" : "Matched") \(matched) donor tokens (\(report.matched.bytes) by bytes, \(report.matched.special) by content, \(report.matched.role) by role); \(report.approximated) approximated (\(rule)); rows \(report.rowsBefore) → \(report.rowsAfter)."
    )
    for special in report.specialTokens {
      let how = special.baseID.map { "base \($0) by \(special.matched)" } ?? "approximated"
      lines.append("Special \(JSONWriter.quoted(special.token)) (\(special.id)): \(how).")
    }
    if !report.worst.isEmpty {
      lines.append("Worst approximations (relative residual, largest coefficient):")
      for entry in report.worst.prefix(20) {
        lines.append("  \(JSONWriter.quoted(entry.token)) (\(entry.id)): \(entry.residual), \(entry.maxCoefficient)")
      }
    }
    if report.numberSplitDiffers { lines.append("Warning: the two tokenizers split numbers differently.") }
    lines += SurgerySummary.ending(notes: report.notes, written: report.written, output: report.output, dryRun: dryRun)
    return lines.joined(separator: "\n")
  }
}

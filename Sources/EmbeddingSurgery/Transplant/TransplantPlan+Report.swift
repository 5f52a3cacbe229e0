import SystemPackage

extension TransplantPlan {
  /// The report of a run that wrote `output` (or, for a dry run, would have).
  public func report(output: FilePath, run: RewriteRun<TransplantRows.Outcome>) throws(SurgeryError)
    -> TransplantReport
  {
    let donor = request.donor
    func text(_ id: Int) -> String { donor.vocabulary.token(of: id) ?? "" }
    let specials = matching.specialTokens.map { special in
      TransplantReport.SpecialToken(
        id: special.token.id, token: special.token.text, matched: special.match?.kind.rawValue ?? "approximated",
        baseID: special.match?.baseID)
    }
    var worst: [TransplantReport.Approximation] = []
    if let outcome = run.outcome, let residuals = outcome.residuals, let largest = outcome.maxCoefficients {
      worst = approximatedIDs.indices.filter { approximatedIDs[$0] < (donorEmbedding?.rows ?? 0) }.map { index in
        TransplantReport.Approximation(
          id: approximatedIDs[index], token: text(approximatedIDs[index]), residual: residuals[index],
          maxCoefficient: largest[index])
      }
      worst.sort { ($0.residual, $0.id) > ($1.residual, $1.id) }
    }
    var notes = planningNotes + (run.outcome?.notes ?? []) + run.notes
    if let numberSplits, numberSplits.differingCount > 0 {
      notes.append(
        "the two tokenizers split \(numberSplits.differingCount) of \(NumberSplits.numbers.count) numbers differently (\(numberSplits.differing.joined(separator: ", ")), ...): arithmetic may suffer"
      )
    }
    let removed = removedFiles
    if !removed.isEmpty {
      notes.append("the donor has no \(removed.joined(separator: ", ")): removed from the output")
    }
    if !model.isFolder {
      notes.append("the tokenizer and config files were left unchanged (only the safetensors file is written)")
    }
    if initialization == .nearest {
      let empty = pieces.filter(\.isEmpty).count
      if empty > 0 { notes.append("\(empty) approximated tokens have no base pieces: their rows are the mean row") }
    }
    let padding = targets.filter { if case .padding = $0 { true } else { false } }.count
    if padding > 0 { notes.append("\(padding) padding rows were written with the mean row") }
    var idMap = [Int?](repeating: nil, count: rowsAfter)
    for (id, match) in matching.matches.enumerated() where id < rowsAfter { idMap[id] = match?.baseID }
    return TransplantReport(
      rowsBefore: rowsBefore, rowsAfter: rowsAfter,
      matched: .init(
        bytes: matching.count(.bytes), special: matching.count(.content), role: matching.count(.role)),
      approximated: approximatedIDs.count, initialization: initialization, atoms: request.atoms,
      specialTokens: specials, worst: worst, numberSplitDiffers: (numberSplits?.differingCount ?? 0) > 0,
      resized: changedTensors, output: output.string, removedFiles: removed, written: run.wrote, notes: notes,
      idMap: idMap)
  }
}

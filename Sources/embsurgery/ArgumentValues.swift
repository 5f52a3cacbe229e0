import ArgumentParser
import EmbeddingSurgery

// The values of options that have a shape, parsed (and refused) by the argument parser.

extension InitializationRule: ExpressibleByArgument {}

extension TokenList.Format: ExpressibleByArgument {}

extension CorpusFormat: ExpressibleByArgument {}

extension NoiseScale: ExpressibleByArgument {
  /// A finite number ≥ 0.
  public init?(argument: String) {
    guard let value = Double(argument) else { return nil }
    self.init(value)
  }

  public var defaultValueDescription: String { "1e-05" }
}

/// `--ids 3,4,10`: row ids, comma-separated, spaces allowed.
struct RowIDList: ExpressibleByArgument {
  /// The ids, in the order given.
  var ids: [Int]

  init?(argument: String) {
    var ids: [Int] = []
    for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
      let trimmed = part.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()
      guard let id = Int(String(trimmed)), id >= 0 else { return nil }
      ids.append(id)
    }
    self.ids = ids
  }
}

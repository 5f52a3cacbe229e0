import Testing

@testable import SafeTensors

/// 2000 seeded random layouts (see ``LayoutCase``): every plan gives exactly the expected file,
/// shares only block-aligned ranges, shares every whole block of an unchanged file, and never
/// shares less than keeping every tensor in the input's order would.
@Test func randomLayoutsKeepEveryByte() throws {
  var choices = SeededChoices(state: 2026_12_01)
  var checked = 0
  var better = 0
  while checked < 2000 {
    guard let layoutCase = LayoutCase.random(&choices) else { continue }
    let plan = try layoutCase.check()
    let context = LayoutContext(
      tensors: layoutCase.outputs, sizes: layoutCase.outputs.map { $0.pieces.reduce(0) { $0 + $1.count } },
      inputDataStart: layoutCase.header.dataStart, inputSize: layoutCase.input.count,
      blockSize: layoutCase.blockSize)
    if let natural = context.naturalArrangement() {
      let inOrder = try context.materialize(natural, metadata: layoutCase.header.metadata, path: "case")
      #expect(plan.sharedBytes >= inOrder.sharedBytes, "\(layoutCase)")
      if plan.sharedBytes > inOrder.sharedBytes { better += 1 }
    }
    checked += 1
  }
  // The search finds more than the input's order in a good share of the cases.
  #expect(better > 200)
}

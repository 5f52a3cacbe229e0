// libFuzzer target: SharingLayout plans.
// The input is a stream of choices for LayoutCase.random (LayoutProperty.swift, a link to
// Tests/SafeTensorsTests/LayoutProperty.swift, shared with the tests): an input file of random tensors, data order, header
// order and padding, and random changes to it (grown, rows rewritten, rows dropped, removed, copied,
// renamed, new tensors). LayoutCase.check applies the plan to the input in memory and checks that the
// result parses, holds exactly the expected tensors, metadata and alignment, and that every clone is
// block-aligned in both files.
import SafeTensors

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  var choices = ByteChoices(bytes: UnsafeRawBufferPointer(start: data, count: size))
  guard let layoutCase = LayoutCase.random(&choices) else { return 0 }
  do {
    try layoutCase.check()
  } catch {
    fatalError("\(error)")
  }
  return 0
}

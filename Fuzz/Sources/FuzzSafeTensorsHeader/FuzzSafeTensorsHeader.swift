// libFuzzer target: the safetensors header parser and reader.
// The input is a whole safetensors file. Every accepted header must describe tensors that lie
// inside the file; the target reads every byte of every tensor to let AddressSanitizer check it.
import SafeTensors

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let file = UnsafeRawBufferPointer(start: data, count: size)
  guard let header = try? SafeTensorsHeader(parsing: file, path: "fuzz.safetensors") else { return 0 }
  var checksum: UInt8 = 0
  var previousEnd = 0
  for tensor in header.tensors.sorted(by: { $0.dataOffsets.lowerBound < $1.dataOffsets.lowerBound }) {
    let range = (header.dataStart + tensor.dataOffsets.lowerBound)..<(header.dataStart + tensor.dataOffsets.upperBound)
    precondition(range.lowerBound >= header.dataStart && range.upperBound <= size, "tensor outside the file")
    precondition(tensor.dataOffsets.lowerBound == previousEnd, "tensors not contiguous")
    previousEnd = tensor.dataOffsets.upperBound
    for byte in UnsafeRawBufferPointer(rebasing: file[range]) { checksum &+= byte }
    _ = tensor.name.string
  }
  precondition(header.dataStart + previousEnd == size, "data does not end at the end of the file")
  _ = header.tensor(named: TensorName("a"))
  return Int32(checksum & 0)
}

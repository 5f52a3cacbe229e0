// libFuzzer target: model.safetensors.index.json (ShardIndex.parse).
// An accepted index must survive its own serialization: parsing `serialized()` gives it back.
import SafeTensors

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  guard let index = try? ShardIndex.parse(bytes, path: "fuzz.index.json") else { return 0 }
  let text = index.serialized()
  let again = text.withUnsafeBytes { try? ShardIndex.parse($0, path: "serialized") }
  guard let again else { preconditionFailure("the serialized index does not parse again") }
  precondition(again.totalSize == index.totalSize, "total_size changed")
  precondition(again.weightMap == index.weightMap, "weight_map changed")
  return 0
}

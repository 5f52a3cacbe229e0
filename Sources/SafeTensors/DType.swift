/// The element types of the safetensors format (all 22 of the reference implementation, 0.8.0).
public enum DType: String, CaseIterable, Sendable, Hashable {
  case BOOL, U8, I8, F8_E5M2, F8_E4M3, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ, F6_E2M3, F6_E3M2, F4
  case I16, U16, F16, BF16, I32, U32, F32, C64, F64, I64, U64

  /// The size of one element in bits. `F6_*` are 6 bits and `F4` is 4 bits: they are bit-packed,
  /// so a tensor's shape counts elements and its total bit count must be a multiple of 8.
  public var bitSize: Int {
    switch self {
    case .F4: 4
    case .F6_E2M3, .F6_E3M2: 6
    case .BOOL, .U8, .I8, .F8_E5M2, .F8_E4M3, .F8_E8M0, .F8_E4M3FNUZ, .F8_E5M2FNUZ: 8
    case .I16, .U16, .F16, .BF16: 16
    case .I32, .U32, .F32: 32
    case .C64, .F64, .I64, .U64: 64
    }
  }

  /// The order in which the reference writer lays out tensors: by dtype, from `U64` down to `BOOL`
  /// (the reverse of the dtype's declaration order in the Rust crate), then by name bytes.
  public static let writeOrder: [DType] = [
    .U64, .I64, .F64, .C64, .F32, .U32, .I32, .BF16, .F16, .U16, .I16, .F8_E5M2FNUZ, .F8_E4M3FNUZ,
    .F8_E8M0, .F8_E4M3, .F8_E5M2, .I8, .U8, .F6_E3M2, .F6_E2M3, .F4, .BOOL,
  ]

  /// The position of the dtype in ``writeOrder``.
  var writeRank: Int {
    DType.writeOrder.firstIndex(of: self) ?? DType.writeOrder.count
  }

  /// The dtype spelled exactly `bytes` (case-sensitive, as the reference), or `nil`.
  init?(utf8 bytes: some Collection<UInt8>) {
    guard let match = DType.allCases.first(where: { $0.rawValue.utf8.elementsEqual(bytes) }) else {
      return nil
    }
    self = match
  }
}

import CBFloat16Products
import CBLAS

/// The largest approximate |correlation| of each of a pursuit group's residuals with the atoms of
/// each block of 32, by one ``OrthogonalMatchingPursuit/CorrelationKernel``, where each
/// approximate correlation c̃ⱼ has a bound on its error: for atom j and a residual r (exact,
/// `Double`) whose kernel operand is r̂,
///
///     |dⱼ · r − c̃ⱼ| ≤ nⱼ · s + mⱼ · q + a
///
/// where nⱼ = ‖d̂ⱼ‖ (the atom as the kernel reads it), mⱼ = ‖dⱼ − d̂ⱼ‖, s = γ_K ‖r̂‖ + ‖r − r̂‖,
/// q = ‖r‖, γ_K = K·u / (1 − K·u) for K products summed in `Float` (u = 2⁻²⁴), and a covers
/// products flushed to zero (vdpbf16ps treats subnormals as zero). Every term is rounded up and
/// enlarged by 1%, which also covers the rounding of the bound's own arithmetic and of the exact
/// `Double` correlations the choice compares.
///
/// A block's bound is its atoms' largest nⱼ and mⱼ in the same formula. It owns the kernel's copy of
/// the dictionary (bfloat16 pairs packed in blocks of 32 atoms) and the norms; the dictionary
/// itself stays the caller's.
final class PursuitCorrelations: @unchecked Sendable {
  typealias Kernel = OrthogonalMatchingPursuit.CorrelationKernel

  /// A residual's terms of the bound: s and q.
  struct Slack {
    var s: Float
    var q: Float
  }

  let kernel: Kernel
  let dictionary: UnsafePointer<Float>
  let anchorCount: Int
  let width: Int
  /// Column pairs of a bfloat16 row (the last one half zero for an odd width).
  let pairs: Int
  /// Blocks of 32 atoms (the last one padded with zero atoms): the maxima in a row.
  let blockCount: Int
  /// Rows of operands a kernel call covers: whole tiles for ``Kernel/bfloat16``.
  let rowGranularity: Int
  /// Each block's largest nⱼ.
  let blockNorms: UnsafeMutableBufferPointer<Float>
  /// Each block's largest mⱼ, or nil when every d̂ⱼ = dⱼ (`sgemm`, or a dictionary of bfloat16
  /// values).
  let blockRoundingNorms: UnsafeMutableBufferPointer<Float>?
  /// The bound's absolute term a.
  let absoluteError: Float
  /// γ_K × 1.01.
  let summationError: Double
  /// ``Kernel/bfloat16``'s dictionary: blocks of 32 atoms, each `pairs` × 32 `UInt32`s.
  private let packed: UnsafeMutableBufferPointer<UInt32>?

  /// - Complexity: O(N·D) to pack the dictionary and take the norms; N·D·2 bytes for the
  ///   bfloat16 copy.
  init(kernel: Kernel, dictionary: UnsafePointer<Float>, anchorCount: Int, width: Int) {
    precondition(kernel.isAvailable, "the \(kernel.rawValue) kernel on a processor without it")
    self.kernel = kernel
    self.dictionary = dictionary
    self.anchorCount = anchorCount
    self.width = width
    pairs = (width + 1) / 2
    let blockAtoms = Self.blockAtoms
    blockCount = (anchorCount + blockAtoms - 1) / blockAtoms
    rowGranularity = kernel == .bfloat16 ? Int(CBF16_TILE_TARGETS) : 1
    let terms = Double(2 * pairs + 2)
    let unit = 0x1p-24
    summationError = 1.01 * terms * unit / (1 - terms * unit)
    absoluteError = Float(4 * terms * 0x1p-126)
    blockNorms = .allocate(capacity: max(blockCount, 1))
    blockNorms.initialize(repeating: 0)
    var roundingNorms = [Float](repeating: 0, count: max(blockCount, 1))
    if kernel == .bfloat16 {
      let packed = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: max(blockCount * blockAtoms * pairs, 1))
      packed.initialize(repeating: 0)
      for atom in 0..<anchorCount {
        let (norm, rounding) = Self.pack(
          dictionary + atom * width, width: width, into: packed.baseAddress.unsafelyUnwrapped,
          atom: atom, pairs: pairs)
        blockNorms[atom / blockAtoms] = Self.larger(blockNorms[atom / blockAtoms], norm)
        roundingNorms[atom / blockAtoms] = Self.larger(roundingNorms[atom / blockAtoms], rounding)
      }
      self.packed = packed
    } else {
      packed = nil
      for atom in 0..<anchorCount {
        var squares = 0.0
        for column in 0..<width { squares += Double(dictionary[atom * width + column]).squared }
        let norm = Self.roundedUp(squares.squareRoot())
        blockNorms[atom / blockAtoms] = Self.larger(blockNorms[atom / blockAtoms], norm)
      }
    }
    if roundingNorms.allSatisfy({ $0 == 0 }) {
      blockRoundingNorms = nil
    } else {
      let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: roundingNorms.count)
      _ = buffer.initialize(from: roundingNorms)
      blockRoundingNorms = buffer
    }
  }

  /// The atoms of a block.
  static let blockAtoms = Int(CBF16_BLOCK_ATOMS)

  /// The larger of two norms, a NaN passed over: an atom with a NaN has NaN correlations, which
  /// the maxima pass over too, and is never chosen.
  private static func larger(_ a: Float, _ b: Float) -> Float {
    b.isNaN ? a : a.isNaN ? b : max(a, b)
  }

  deinit {
    blockNorms.deallocate()
    blockRoundingNorms?.deallocate()
    packed?.deallocate()
  }

  /// Bytes of kernel operands for `rows` residuals.
  func operandBytes(rows: Int) -> Int {
    let padded = (rows + rowGranularity - 1) / rowGranularity * rowGranularity
    return max(padded * max(width, 2 * pairs), 1) * MemoryLayout<Float>.stride
  }

  /// Writes residual `row`'s operand (the `width` values at `values`, rounded as the kernel reads
  /// them) into `operands`, and returns its slack.
  func load(_ values: UnsafePointer<Double>, row: Int, into operands: UnsafeMutableRawPointer) -> Slack {
    var operandSquares = 0.0
    var roundingSquares = 0.0
    var squares = 0.0
    switch kernel {
    case .sgemm:
      let destination = operands.assumingMemoryBound(to: Float.self) + row * width
      for column in 0..<width {
        let value = values[column]
        let rounded = Float(value)
        destination[column] = rounded
        operandSquares += Double(rounded).squared
        roundingSquares += (value - Double(rounded)).squared
        squares += value.squared
      }
    case .bfloat16:
      let tiles = Int(CBF16_TILE_TARGETS)
      let destination = operands.assumingMemoryBound(to: UInt32.self) + (row / tiles) * pairs * tiles + row % tiles
      for pair in 0..<pairs {
        var bits: UInt32 = 0
        for half in 0..<2 where 2 * pair + half < width {
          let value = values[2 * pair + half]
          let rounded = FloatingPointFormat.bfloat16Bits(Float(value))
          let widened = Double(Float(bitPattern: UInt32(rounded) << 16))
          bits |= UInt32(rounded) << (16 * half)
          operandSquares += widened.squared
          roundingSquares += (value - widened).squared
          squares += value.squared
        }
        destination[pair * tiles] = bits
      }
    }
    let norm = squares.squareRoot()
    let s = summationError * operandSquares.squareRoot() + 1.01 * roundingSquares.squareRoot() + 1e-12 * norm
    return Slack(s: Self.roundedUp(s), q: Self.roundedUp(1.01 * norm))
  }

  /// Bytes of `sgemm`'s correlations for `rows` residuals (none for ``Kernel/bfloat16``, which
  /// keeps only the maxima).
  func correlationBytes(rows: Int) -> Int {
    kernel == .sgemm ? max(rows * anchorCount, 1) * MemoryLayout<Float>.stride : 0
  }

  /// The block maxima of the first `rows` operands (rows of ``blockCount`` in `maxima`);
  /// `correlations` holds ``correlationBytes(rows:)``.
  ///
  /// - Complexity: 2·rows·N·D flops (rows rounded up to whole tiles for ``Kernel/bfloat16``),
  ///   on `threads` threads (``Kernel/bfloat16``) or the BLAS's own (``Kernel/sgemm``, then
  ///   O(rows·N) for the maxima).
  func compute(
    rows: Int, operands: UnsafeRawPointer, correlations: UnsafeMutableRawPointer,
    into maxima: UnsafeMutablePointer<Float>, threads: Int
  ) {
    guard rows > 0, anchorCount > 0 else { return }
    switch kernel {
    case .sgemm:
      let correlations = correlations.assumingMemoryBound(to: Float.self)
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(anchorCount), Int32(width), 1,
        operands.assumingMemoryBound(to: Float.self), Int32(width), dictionary, Int32(width), 0, correlations,
        Int32(anchorCount))
      for row in 0..<rows {
        for block in 0..<blockCount {
          // The largest |c̃| of the block, NaNs passed over (as the bfloat16 kernel does).
          var largest: Float = 0
          for atom in (block * Self.blockAtoms)..<min(anchorCount, (block + 1) * Self.blockAtoms) {
            let magnitude = abs(correlations[row * anchorCount + atom])
            if magnitude > largest { largest = magnitude }
          }
          maxima[row * blockCount + block] = largest
        }
      }
    case .bfloat16:
      guard let packed = packed?.baseAddress else { return }
      let tiles = (rows + rowGranularity - 1) / rowGranularity
      let blocks = blockCount
      // Pieces of 16 blocks (512 atoms, about 90 of them here) share the threads evenly; each
      // block's maxima are the same arithmetic whichever thread computes them.
      let pieceBlocks = 16
      let pieces = (blocks + pieceBlocks - 1) / pieceBlocks
      let pairs = Int64(self.pairs)
      nonisolated(unsafe) let operands = operands.assumingMemoryBound(to: UInt32.self)
      nonisolated(unsafe) let maxima = maxima
      nonisolated(unsafe) let packedBlocks = UnsafePointer(packed)
      _ = ParallelWork.map(pieces, threads: threads) { piece in
        let first = piece * pieceBlocks
        cbf16_block_maxima(
          packedBlocks, pairs, Int64(first), Int64(min(pieceBlocks, blocks - first)), operands, Int64(tiles),
          maxima, Int64(blocks))
      }
    }
  }

  /// Packs `atom`'s row into its block and returns (‖d̂‖, ‖d − d̂‖), rounded up.
  private static func pack(
    _ row: UnsafePointer<Float>, width: Int, into packed: UnsafeMutablePointer<UInt32>, atom: Int, pairs: Int
  ) -> (Float, Float) {
    let blockAtoms = Self.blockAtoms
    let block = packed + (atom / blockAtoms) * pairs * blockAtoms + atom % blockAtoms
    var squares = 0.0
    var roundingSquares = 0.0
    for pair in 0..<pairs {
      var bits: UInt32 = 0
      for half in 0..<2 where 2 * pair + half < width {
        let value = row[2 * pair + half]
        let rounded = FloatingPointFormat.bfloat16Bits(value)
        let widened = Float(bitPattern: UInt32(rounded) << 16)
        bits |= UInt32(rounded) << (16 * half)
        squares += Double(widened).squared
        roundingSquares += (Double(value) - Double(widened)).squared
      }
      block[pair * blockAtoms] = bits
    }
    let rounding = roundingSquares == 0 ? 0 : roundedUp(1.01 * roundingSquares.squareRoot())
    return (roundedUp(squares.squareRoot()), rounding)
  }

  /// `value` as a `Float` no smaller than it (NaN stays NaN).
  static func roundedUp(_ value: Double) -> Float {
    let rounded = Float(value)
    return Double(rounded) < value ? rounded.nextUp : rounded
  }
}

extension Double {
  fileprivate var squared: Double { self * self }
}

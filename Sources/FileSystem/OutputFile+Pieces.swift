extension OutputFile {
  /// The largest piece ``copy(pieces:from:advance:)`` gathers through its buffer; larger ones
  /// go to the kernel's copy.
  public static let gatheredPieceLimit = 64 << 10

  /// Copies many ranges of `source` to their places in this file (`from` a range of `source`,
  /// `to` an offset of this file; the output ranges must not overlap).
  ///
  /// Small pieces that follow each other in the output (the rows a trim keeps, a few KiB each,
  /// scattered over the input) are read into a buffer and written a buffer at a time: one `pread`
  /// each and a `pwrite` per 8 MiB, where a kernel copy each (`copy_file_range`) costs several
  /// times more and moves the same bytes through the same page cache. Pieces over
  /// ``gatheredPieceLimit`` go to ``copy(from:range:to:advance:)`` (shared on a copy-on-write
  /// file system where the offsets allow).
  ///
  /// - Throws: ``FileSystemError/truncated(path:expectedEnd:size:)`` when `source` ends before a
  ///   piece does; any failure of a read, a write or a copy.
  /// - Complexity: one read per small piece and one write per 8 MiB of them; memory at most
  ///   8 MiB.
  public func copy(
    pieces: [(from: Range<Int64>, to: Int64)], from source: borrowing InputFile, advance: (Int) -> Void = { _ in }
  ) throws(FileSystemError) {
    let gatheredBytes = pieces.reduce(0) { $0 + ($1.from.count <= Self.gatheredPieceLimit ? $1.from.count : 0) }
    let capacity = min(8 << 20, gatheredBytes)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(capacity, 1), alignment: 16)
    defer { buffer.deallocate() }
    // The buffer holds output bytes `start..<start + filled`.
    var start: Int64 = 0
    var filled = 0
    func flush() throws(FileSystemError) {
      guard filled > 0 else { return }
      try write(UnsafeRawBufferPointer(rebasing: buffer[0..<filled]), at: start)
      advance(filled)
      filled = 0
    }
    for piece in pieces where !piece.from.isEmpty {
      let count = Int(piece.from.count)
      guard count <= Self.gatheredPieceLimit else {
        try copy(from: source, range: piece.from, to: piece.to, advance: advance)
        continue
      }
      if filled > 0, piece.to != start + Int64(filled) || filled + count > capacity { try flush() }
      if filled == 0 { start = piece.to }
      var done = 0
      while done < count {
        let target = UnsafeMutableRawBufferPointer(rebasing: buffer[(filled + done)..<(filled + count)])
        let read = try source.read(at: piece.from.lowerBound + Int64(done), into: target)
        if read == 0 {
          let size = (try? source.status().size) ?? piece.from.lowerBound + Int64(done)
          throw .truncated(path: source.path, expectedEnd: piece.from.upperBound, size: size)
        }
        done += read
      }
      filled += count
    }
    try flush()
  }
}

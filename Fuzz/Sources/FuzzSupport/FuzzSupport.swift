// What the fuzz targets that generate their models from the input bytes share: the reader of
// those bytes, the check of an invariant, and a JSON number.
import Glibc
import StrictJSON

/// Stops with `message` on standard error when `condition` fails (a -O `precondition` drops its
/// message, and the message is what makes a crash readable).
public func check(_ condition: Bool, _ message: @autoclosure () -> String) {
  if !condition { fail(message()) }
}

/// Stops with `message` on standard error, after the name of the fuzz target.
public func fail(_ message: String) -> Never {
  let target = CommandLine.arguments.first.map { $0.split(separator: "/").last.map(String.init) ?? $0 } ?? "fuzz"
  var text = "\(target): invariant failed: \(message)\n"
  text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
  abort()
}

/// Reads the input a byte at a time (zeros past its end).
public struct Source {
  let bytes: UnsafeBufferPointer<UInt8>
  var position = 0

  /// The source of the `size` bytes at `data`.
  public init(_ data: UnsafePointer<UInt8>, count size: Int) {
    bytes = UnsafeBufferPointer(start: data, count: size)
  }

  /// The next byte, or 0 past the end.
  public mutating func byte() -> Int {
    defer { position += 1 }
    return position < bytes.count ? Int(bytes[position]) : 0
  }

  /// A number from 0 up to `bound` (excluded).
  public mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : byte() % bound }

  public mutating func flag() -> Bool { byte() & 1 == 1 }

  public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

  /// Whether every byte of the input has been read.
  public var exhausted: Bool { position >= bytes.count }
}

/// `value` as a JSON number.
public func number(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }

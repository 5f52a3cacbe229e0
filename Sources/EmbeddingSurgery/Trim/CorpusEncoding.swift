import Dispatch
import Synchronization
import Tokenization

/// Encodes the texts of corpus files with a model's tokenizer on several threads, recording what
/// they use (``TokenUsage``): the files are read a batch at a time by whichever thread needs
/// work, each thread records into its own usage, and the usages are merged at the end (a sum and a
/// union, so the result does not depend on the number of threads).
package enum CorpusEncoding {
  /// The usage of every text of `sources` (and of `extraTexts`, encoded first); standard input is
  /// in `standardInputFormat` (default: lines), a file in the format its extension says (see
  /// ``CorpusSource/format(standardInputFormat:)``).
  ///
  /// - Throws: ``SurgeryError`` for a file that cannot be read or a line that is not a text (the
  ///   first such problem), or a text the tokenizer cannot encode.
  /// - Complexity: the encoding of every text, over `threads` threads; memory holds a batch of
  ///   about 1 MiB per thread.
  package static func usage(
    of sources: [CorpusSource], standardInputFormat: CorpusFormat? = nil, tokenizer: Tokenizer,
    extraTexts: [String] = [],
    threads: Int = ParallelWork.defaultThreadCount
  ) throws(SurgeryError) -> TokenUsage {
    let queue = CorpusQueue(sources: sources, standardInputFormat: standardInputFormat)
    let usages = Mutex<[TokenUsage]>([])
    var first = TokenUsage(for: tokenizer)
    for text in extraTexts {
      do {
        try tokenizer.encode(text, recordingInto: &first)
      } catch {
        throw .tokenization(error)
      }
    }
    DispatchQueue.concurrentPerform(iterations: max(1, threads)) { _ in
      var usage = TokenUsage(for: tokenizer)
      while let batch = queue.next() {
        for text in batch.texts {
          do throws(TokenizationError) {
            try tokenizer.encode(text, recordingInto: &usage)
          } catch {
            queue.fail(.tokenization(error))
            return
          }
        }
      }
      usages.withLock { $0.append(usage) }
    }
    if let error = queue.error { throw error }
    for usage in usages.withLock({ $0 }) { first.merge(usage) }
    return first
  }
}

/// The corpus files, handed out a batch at a time to the threads that encode them.
final class CorpusQueue: Sendable {
  private struct State: ~Copyable {
    var sources: [CorpusSource]
    var standardInputFormat: CorpusFormat?
    var next = 0
    var reader: CorpusReader?
    var error: SurgeryError?
  }

  private let state: Mutex<State>

  init(sources: [CorpusSource], standardInputFormat: CorpusFormat?) {
    state = Mutex(State(sources: sources, standardInputFormat: standardInputFormat))
  }

  /// The first problem met, if any.
  var error: SurgeryError? { state.withLock { $0.error } }

  /// Records a problem: every thread stops at its next batch.
  func fail(_ error: SurgeryError) {
    state.withLock { if $0.error == nil { $0.error = error } }
  }

  /// The next batch of texts, or `nil` when the files are done (or a problem stopped them).
  func next() -> CorpusReader.Batch? {
    state.withLock { (state: inout State) -> CorpusReader.Batch? in
      while state.error == nil {
        if state.reader == nil {
          guard state.next < state.sources.count else { return nil }
          do throws(SurgeryError) {
            let source = state.sources[state.next]
            state.reader = try CorpusReader(
              source, format: source.format(standardInputFormat: state.standardInputFormat))
          } catch {
            state.error = error
            return nil
          }
          state.next += 1
        }
        do throws(SurgeryError) {
          if let batch = try state.reader?.next() { return batch }
          state.reader = nil
        } catch {
          state.error = error
          return nil
        }
      }
      return nil
    }
  }
}

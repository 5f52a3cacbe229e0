import Dispatch
import Synchronization
import Tokenization

extension CorpusWords {
  /// The words of every text of `sources` (standard input in `standardInputFormat`, default
  /// lines; a file in the format its extension says), read a batch at a time by whichever of `threads`
  /// threads needs work (each records into its own value; the values are summed, so the result
  /// does not depend on the number of threads).
  ///
  /// - Throws: ``SurgeryError`` for a file that cannot be read or a line that is not a text (the
  ///   first such problem), or a text the tokenizer cannot encode.
  /// - Complexity: the pre-tokenization of every text and the encoding of each distinct word;
  ///   memory holds the distinct words and a batch of about 1 MiB per thread.
  package static func counting(
    _ sources: [CorpusSource], standardInputFormat: CorpusFormat? = nil, tokenizer: Tokenizer,
    threads: Int = ParallelWork.defaultThreadCount
  ) throws(SurgeryError) -> CorpusWords {
    let queue = CorpusQueue(sources: sources, standardInputFormat: standardInputFormat)
    let parts = Mutex<[CorpusWords]>([])
    DispatchQueue.concurrentPerform(iterations: max(1, threads)) { _ in
      var words = CorpusWords()
      while let batch = queue.next() {
        for text in batch.texts {
          do throws(TokenizationError) {
            try tokenizer.recordWords(of: text, into: &words)
          } catch {
            queue.fail(.tokenization(error))
            return
          }
        }
      }
      parts.withLock { $0.append(words) }
    }
    if let error = queue.error { throw error }
    // The largest part takes the others in.
    var sorted = parts.withLock { $0 }.sorted { $0.distinctWords > $1.distinctWords }[...]
    var all = sorted.popFirst() ?? CorpusWords()
    for part in sorted { all.merge(part) }
    return all
  }
}

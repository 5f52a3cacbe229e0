extension Tokenizer {
  /// The words the model sees in `text`, as the HF library's `pre_tokenizer.pre_tokenize_str`
  /// gives them after the normalizer: each piece's text in the model's spelling (byte-level
  /// alphabet, `▁`), an added token's content as one piece.
  ///
  /// - Complexity: the normalization and pre-tokenization of the text (no model); thread-safe.
  public func preTokenize(_ text: String) -> [String] {
    preTokenizedPieces(text).compactMap { piece in
      if let token = piece.token { return token.text }
      return piece.text.isEmpty ? nil : piece.text.string
    }
  }
}

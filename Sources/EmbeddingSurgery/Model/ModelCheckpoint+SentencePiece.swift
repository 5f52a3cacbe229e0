import FileSystem
import SystemPackage
import Tokenization

extension ModelCheckpoint {
  /// The SentencePiece `tokenizer.model` in the model's folder, read, or `nil` when there is none
  /// (trim renumbers it, extend appends to it).
  ///
  /// - Throws: ``SurgeryError/tokenization(_:)`` when the file is there but cannot be read.
  func sentencePieceModel() throws(SurgeryError) -> SentencePieceModel? {
    let path = folder.appending("tokenizer.model")
    guard path.exists else { return nil }
    do {
      return try SentencePieceModel(contentsOf: path)
    } catch {
      throw .tokenization(error)
    }
  }
}

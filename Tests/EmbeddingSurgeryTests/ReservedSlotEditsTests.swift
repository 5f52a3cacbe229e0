import EmbeddingSurgery
import StrictJSON
import Testing
import Tokenization

@Suite struct ReservedSlotEditsTests {
  func rename(_ id: Int, _ old: String, to new: String, added: Bool, vocabulary: Bool, special: Bool = false)
    -> SlotRename
  {
    SlotRename(
      slot: ReservedSlots.Slot(token: Token(id: id, text: old), isAddedToken: added, isInModelVocabulary: vocabulary),
      replacement: AddedToken(newToken: Token(id: id, text: new), special: special))
  }

  @Test func unigramPiecesAreRenamedInPlace() throws {
    let text =
      "{\"added_tokens\": [], \"model\": {\"type\": \"Unigram\", \"vocab\": [[\"<unk>\", 0.0], [\"<unused0>\", -1.5], [\"a\", -2.0]]}}"
    let result = try ModelFileEdits.renameSlots(
      [rename(1, "<unused0>", to: "<x>", added: false, vocabulary: true)], inTokenizerJSON: Array(text.utf8),
      path: "t.json")
    #expect(String(decoding: result.bytes, as: UTF8.self) == text.replacingOccurrences(of: "<unused0>", with: "<x>"))
    #expect(result.needingEntries == [AddedToken(newToken: Token(id: 1, text: "<x>"), special: false)])
  }

  @Test func addedTokenEntriesKeepTheirOtherFields() throws {
    let text = """
      {"added_tokens":[{"id":7,"content":"<|reserved_special_token_0|>","single_word":false,"lstrip":true,"rstrip":false,"normalized":false,"special":true}],"model":{"vocab":{"a":0}}}
      """
    let result = try ModelFileEdits.renameSlots(
      [rename(7, "<|reserved_special_token_0|>", to: "<|eom_id|>", added: true, vocabulary: false, special: true)],
      inTokenizerJSON: Array(text.utf8), path: "t.json")
    #expect(
      String(decoding: result.bytes, as: UTF8.self)
        == text.replacingOccurrences(of: "<|reserved_special_token_0|>", with: "<|eom_id|>"))
    #expect(result.needingEntries.isEmpty)
  }

  @Test func tokenizerConfigEntriesAreRenamedOrReportedMissing() throws {
    let text =
      "{\n  \"added_tokens_decoder\": {\n    \"7\": {\n      \"content\": \"<unused0>\",\n      \"normalized\": false,\n      \"special\": true\n    }\n  }\n}"
    let result = try ModelFileEdits.renameSlots(
      [
        rename(7, "<unused0>", to: "<x>", added: true, vocabulary: true),
        rename(8, "<unused1>", to: "<y>", added: true, vocabulary: true),
      ],
      inTokenizerConfig: Array(text.utf8), path: "c.json")
    #expect(
      String(decoding: result.bytes, as: UTF8.self)
        == "{\n  \"added_tokens_decoder\": {\n    \"7\": {\n      \"content\": \"<x>\",\n      \"normalized\": true,\n      \"special\": false\n    }\n  }\n}"
    )
    #expect(result.needingEntries.map(\.id) == [8])
  }

  @Test func vocabularyTextLinesAreRenamedOnlyWhenTheyHoldTheSlot() {
    let text = Array("[PAD]\r\n[unused0]\r\n[unused1]\r\nhello".utf8)
    let renamed = ModelFileEdits.renameSlots(
      [rename(1, "[unused0]", to: "<x>", added: false, vocabulary: true)], inVocabularyText: text)
    #expect(renamed.map { String(decoding: $0, as: UTF8.self) } == "[PAD]\r\n<x>\r\n[unused1]\r\nhello")
    #expect(
      ModelFileEdits.renameSlots(
        [rename(2, "[unused0]", to: "<x>", added: false, vocabulary: true)], inVocabularyText: text) == nil)
  }
}

import EmbeddingSurgery
import SafeTensors
import Testing

@Suite struct TensorRolesTests {
  func tensor(_ name: String, _ shape: [Int], _ dtype: DType = .BF16) -> TensorInfo {
    TensorInfo(name: TensorName(name), dtype: dtype, shape: shape, dataOffsets: 0..<0)
  }

  @Test(
    arguments: TensorRoles.embeddingNames + [
      "bert.embeddings.word_embeddings.weight", "roberta.embeddings.word_embeddings.weight",
      "embeddings.word_embeddings.weight",
    ])
  func everyKnownEmbeddingNameIsFound(_ name: String) throws {
    let roles = try TensorRoles.find(
      in: [tensor("model.norm.weight", [8]), tensor(name, [10, 8]), tensor("other", [10, 8])], path: "m")
    #expect(roles.embedding.name == TensorName(name))
    #expect(roles.isTied)
  }

  @Test(arguments: TensorRoles.headNames)
  func everyKnownHeadNameIsFound(_ name: String) throws {
    let roles = try TensorRoles.find(
      in: [tensor("model.embed_tokens.weight", [10, 8]), tensor(name, [10, 6])], path: "m")
    #expect(roles.head?.name == TensorName(name))
    #expect(!roles.isTied)
  }

  @Test func fallsBackToTheOneMatrixWithConfigVocabularyRows() throws {
    let tensors = [tensor("weird.tok.weight", [50, 8]), tensor("lm_head.weight", [50, 8]), tensor("x", [8, 50])]
    let roles = try TensorRoles.find(in: tensors, configVocabularySize: 50, path: "m")
    #expect(roles.embedding.name == "weird.tok.weight")
    #expect(roles.head?.name == "lm_head.weight")
    let error = #expect(throws: SurgeryError.self) {
      try TensorRoles.find(in: tensors + [tensor("second.weight", [50, 4])], configVocabularySize: 50, path: "m")
    }
    #expect(error?.description == "m: more than one tensor could be the embedding: weird.tok.weight, second.weight")
    #expect(throws: SurgeryError.self) { try TensorRoles.find(in: [tensor("x", [3, 3])], path: "m") }
  }

  @Test func ambiguousKnownNamesAreAnErrorUnlessOverridden() throws {
    let tensors = [tensor("model.embed_tokens.weight", [10, 8]), tensor("transformer.wte.weight", [10, 8])]
    #expect(throws: SurgeryError.self) { try TensorRoles.find(in: tensors, path: "m") }
    let roles = try TensorRoles.find(in: tensors, embeddingName: "transformer.wte.weight", path: "m")
    #expect(roles.embedding.name == "transformer.wte.weight")
    let missing = #expect(throws: SurgeryError.self) {
      try TensorRoles.find(in: tensors, embeddingName: "nope", path: "m")
    }
    #expect(missing?.description == "m: no tensor named 'nope'")
  }

  @Test func biasesAndTheirShapes() throws {
    let embedding = tensor("model.embed_tokens.weight", [10, 8])
    #expect(
      try TensorRoles.find(in: [embedding, tensor("final_logits_bias", [1, 10])], path: "m").headBias?.name
        == "final_logits_bias")
    #expect(
      try TensorRoles.find(in: [embedding, tensor("lm_head.bias", [10])], path: "m").headBias?.name == "lm_head.bias")
    #expect(throws: SurgeryError.self) {
      try TensorRoles.find(in: [embedding, tensor("lm_head.bias", [11])], path: "m")
    }
  }

  @Test func unsupportedDtypesShapesAndMismatchedHeads() {
    #expect(throws: SurgeryError.self) {
      try TensorRoles.find(in: [self.tensor("model.embed_tokens.weight", [10, 8], .I8)], path: "m")
    }
    #expect(throws: SurgeryError.self) {
      try TensorRoles.find(in: [self.tensor("model.embed_tokens.weight", [10, 8, 2])], path: "m")
    }
    let error = #expect(throws: SurgeryError.self) {
      try TensorRoles.find(
        in: [self.tensor("model.embed_tokens.weight", [10, 8]), self.tensor("lm_head.weight", [12, 8])], path: "m")
    }
    #expect(
      error?.description
        == "m: tensor 'lm_head.weight' has 12 rows but the embedding 'model.embed_tokens.weight' has 10")
  }
}

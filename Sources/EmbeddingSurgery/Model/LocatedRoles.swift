import SafeTensors

/// A model's tensor roles (``TensorRoles``: embedding, head, head bias) and the checkpoint file
/// that holds each: what `resize`, `fix-untrained` and `audit` all find first.
struct LocatedRoles: Sendable {
  /// The roles.
  let roles: TensorRoles
  /// The file holding each role's tensor (a file name of the checkpoint).
  let embeddingFile: String
  let headFile: String?
  let headBiasFile: String?

  /// Lists the checkpoint's tensors and finds the roles among them.
  ///
  /// - Parameters:
  ///   - embeddingName: `--embedding`, overriding detection.
  ///   - headName: `--head`, overriding detection.
  /// - Throws: ``SurgeryError`` when the checkpoint cannot be read or has no usable embedding.
  /// - Complexity: O(*t*) in the number of tensors (headers only).
  init(model: ModelCheckpoint, embeddingName: String?, headName: String?) throws(SurgeryError) {
    let located: [(info: TensorInfo, fileName: String)]
    do {
      located = try model.checkpoint.tensors()
    } catch {
      throw .safeTensors(error)
    }
    let roles = try TensorRoles.find(
      in: located.map(\.info), embeddingName: embeddingName, headName: headName,
      configVocabularySize: model.configVocabularySize, path: model.path)
    self.roles = roles
    func file(of tensor: TensorInfo?) -> String? {
      guard let tensor else { return nil }
      return located.first { $0.info.name == tensor.name }?.fileName
    }
    embeddingFile = file(of: roles.embedding) ?? ""
    headFile = file(of: roles.head)
    headBiasFile = file(of: roles.headBias)
  }
}

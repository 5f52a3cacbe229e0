/// How a transplant makes the rows of the donor tokens that match no base token.
public enum TransplantInitialization: String, Sendable, CaseIterable, Encodable {
  /// Orthogonal matching pursuit over the donor's rows of matched tokens, the coefficients applied
  /// to the base rows of those tokens (needs the donor's weights).
  case omp
  /// The mean of the base rows of the pieces the base tokenizer splits the token's bytes into.
  case nearest
  /// The mean row.
  case mean
}

/// What a user asks of `transplant`: the donor whose tokenizer the model gets, and how rows that
/// match nothing are made.
public struct TransplantRequest: Sendable {
  /// The donor.
  public var donor: TransplantDonor
  /// The rule of approximated rows; `nil`: `omp` when the donor has weights, else `nearest`.
  public var initialization: TransplantInitialization?
  /// At most this many atoms per pursuit (`omp`).
  public var atoms: Int
  /// Round the row count up to a multiple of this.
  public var padToMultipleOf: Int?
  /// Threads of the pursuit (`nil`: every core); the result does not depend on it.
  public var threads: Int?

  /// Creates a request.
  public init(
    donor: TransplantDonor, initialization: TransplantInitialization? = nil, atoms: Int = 64,
    padToMultipleOf: Int? = nil, threads: Int? = nil
  ) {
    self.donor = donor
    self.initialization = initialization
    self.atoms = atoms
    self.padToMultipleOf = padToMultipleOf
    self.threads = threads
  }
}

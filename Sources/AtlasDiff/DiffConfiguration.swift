/// The thresholds and bounds of a diff. Written verbatim into `diff.json` (`parameters`).
///
/// - `matchThreshold` 0.7: a one-to-one pair needs decoder cosine ≥ 0.7, the convention of the
///   seed-stability papers (Paulo & Belrose 2025 count latents "shared" across seeds above 0.7).
/// - Splits and merges: a feature is explained by a group of 2 to `maxGroup` features from the other side,
///   each with cosine ≥ `groupCandidateFloor`, weighted by non-negative least squares on unit directions.
///   The group is confirmed when its combination reaches cosine ≥ `groupExplained` with the feature and
///   beats the best single part by at least `groupMargin`; parts contributing less than `minimumPartShare`
///   of the explained variance are dropped before the check.
/// - Changed: a pair is "changed" when its density moved by more than a factor `densityRatio`, when its
///   top tokens overlap less than `topTokenJaccard` (Jaccard of the first `topTokenCount` tokens), or when
///   its label text differs and the two label patterns share nothing.
/// - Activation matching (`matchBy`): when the two SAEs read different hook points or widths (or when asked),
///   features are compared by the Pearson correlation of their activations on the same tokens (A's held-out
///   windows, encoded by both SAEs; `correlationTokens` of them). A pair needs r ≥ `correlationThreshold`;
///   latents firing on fewer than `minimumFirings` of those tokens are not compared. Splits, merges and the
///   substitution check need shared directions and are skipped in this mode.
/// - Substitution: a pair "acts differently" when putting B's latent in place of A's in A's reconstruction
///   raises A's FVU by more than `actsDifferentlyRatio` times what removing A's latent alone costs (the
///   ablation), while the decoder cosine says they are alike. A faithful partner costs ≈ 0 of the ablation.
public struct DiffConfiguration: Codable, Sendable, Equatable {
  /// What features are compared by.
  public enum MatchBasis: String, Codable, Sendable, CaseIterable {
    /// Decoder directions when both SAEs read the same hook point at the same width, else activations.
    case automatic
    case directions
    case activations
  }
  public var matchBy: MatchBasis = .automatic
  public var matchThreshold: Double = 0.7
  public var correlationThreshold: Double = 0.7
  public var correlationTokens: Int = 32_768
  public var minimumFirings: Int = 5
  /// Weight of the encoder cosine in the assignment objective (decoder cosine + this × encoder cosine):
  /// the second signal, which breaks near-ties between decoder directions.
  public var encoderWeight: Double = 0.05
  /// Candidates kept per feature from the cosine search (both directions).
  public var candidates: Int = 8
  public var groupCandidateFloor: Double = 0.25
  public var maxGroup: Int = 6
  public var groupExplained: Double = 0.9
  public var groupMargin: Double = 0.1
  public var minimumPartShare: Double = 0.1
  public var densityRatio: Double = 2
  public var topTokenJaccard: Double = 0.2
  public var topTokenCount: Int = 10
  public var actsDifferentlyRatio: Double = 0.5
  /// Held-out activation rows used by the substitution check (0 turns it off).
  public var substitutionTokens: Int = 4096
  public init() {}
}

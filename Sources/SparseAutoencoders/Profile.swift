import Glibc

/// Where training time goes: process CPU seconds (all threads) per phase of the step, summed over steps.
/// CPU time rather than wall time, so a busy machine inflates it less; on idle cores the wall time of a
/// phase is about its CPU time divided by the number of cores.
public struct SAETrainingProfile: Sendable, Equatable {
  public var encode = 0.0      // centring, the encoder sgemm and the per-row selection
  public var entries = 0.0     // active entries as CSR
  public var tokens = 0.0      // decode, residual, ∂pre per entry
  public var sort = 0.0        // entries by latent
  public var latents = 0.0     // gradient rows of W_enc, W_dec
  public var optimiser = 0.0   // Adam, projection and renormalisation
  public init() {}

  public var total: Double { encode + entries + tokens + sort + latents + optimiser }

  static func + (a: SAETrainingProfile, b: SAETrainingProfile) -> SAETrainingProfile {
    var c = a
    c.encode += b.encode
    c.entries += b.entries
    c.tokens += b.tokens
    c.sort += b.sort
    c.latents += b.latents
    c.optimiser += b.optimiser
    return c
  }
}

/// Laps of process CPU time.
struct SAEPhaseClock {
  private var last = SAEPhaseClock.now()

  static func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
  }

  /// Seconds since the previous lap (or the start).
  mutating func lap() -> Double {
    let t = SAEPhaseClock.now()
    defer { last = t }
    return t - last
  }
}

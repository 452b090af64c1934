import Foundation
import Llama

/// Checks every value a build would act on, before anything on disk is deleted or overwritten: a bad value is
/// a one-line error naming the key, what was found and what is expected.
extension AtlasConfiguration {
  /// `dModel`: the model's width when known; the SAE's memory need is checked only then.
  public func validate(dModel: Int? = nil) throws {
    func require(_ ok: Bool, _ key: String, _ found: Any, _ expected: String) throws {
      guard ok else {
        throw PipelineError.invalidConfiguration("'\(key)' is \(found); expected \(expected)")
      }
    }
    // capture
    try require(!capture.hookPoints.isEmpty, "capture.hookPoints", "[]",
                "at least one hook point, e.g. [blocks.15.hook_resid_post]")
    for name in capture.hookPoints {
      do { _ = try HookPoint(name: name) } catch {
        throw PipelineError.invalidConfiguration("'capture.hookPoints' holds '\(name)': \(error)")
      }
    }
    try require(capture.windowsPerBatch >= 1 && capture.windowsPerBatch <= 4096, "capture.windowsPerBatch",
                capture.windowsPerBatch, "1 ... 4096 windows per forward pass")
    try require(capture.windowsPerShard >= 1 && capture.windowsPerShard <= 1 << 20, "capture.windowsPerShard",
                capture.windowsPerShard, "1 ... 1,048,576 windows per shard file")
    // corpus (its own checks name the field)
    _ = try corpus.configuration()
    // sae
    let t = sae.training
    try require(t.latents >= 1 && t.latents <= 1 << 26, "sae.training.latents", t.latents, "1 ... 67,108,864")
    try require(t.batchSize >= 1 && t.batchSize <= 1 << 20, "sae.training.batchSize", t.batchSize, "1 ... 1,048,576")
    try require(t.tokens >= 1, "sae.training.tokens", t.tokens, "at least 1")
    try require(sae.checkpointEvery >= 1, "sae.checkpointEvery", sae.checkpointEvery, "at least 1 step")
    try require(sae.ceWindows >= 0, "sae.ceWindows", sae.ceWindows, "0 or more windows")
    try require(sae.shardsPerBuffer >= 1, "sae.shardsPerBuffer", sae.shardsPerBuffer, "at least 1")
    if sae.load == nil, let dModel {
      // Parameters, gradients and two Adam moments of W_enc and W_dec: 6 × latents × d_model floats, plus a
      // batch of codes. A size the machine cannot hold is refused here rather than by the allocator.
      let width = Double(dModel)
      let bytes = 6 * Double(t.latents) * width * 4 + Double(t.batchSize) * Double(t.latents) * 4
      let physical = Double(ProcessInfo.processInfo.physicalMemory)
      try require(bytes < physical, "sae.training.latents", t.latents,
                  "a dictionary this machine can hold (about \(Int(bytes / 1e9)) GB for training, "
                    + "\(Int(physical / 1e9)) GB installed)")
    }
    // steering
    try require(steering.maxNewTokens >= 1 && steering.maxNewTokens <= 4096, "steering.maxNewTokens",
                steering.maxNewTokens, "1 ... 4096")
    try require(steering.batchSize >= 1, "steering.batchSize", steering.batchSize, "at least 1")
    try require(steering.automatic >= 0, "steering.automatic", steering.automatic, "0 or more")
  }
}

import AtlasArtifacts
import AtlasDiff
import Foundation
import Llama
import SparseAutoencoders
import TensorMath

/// The tokens two atlases are compared on when their directions cannot be (another hook point, layer or
/// width): A's held-out windows, with each side's activations at its own hook point on them, encoded by
/// each side's SAE. Each side's activations come from the cheapest faithful source:
/// 1. A's capture, when it recorded that hook point too (and both atlases read the same model file);
/// 2. that side's own capture, when it holds the same windows (same window index, same token ids);
/// 3. a forward pass of that side's model over the windows (the model file its atlas.json names, checked
///    against its recorded digest).
struct DiffSharedTokens {
  let progress: any ProgressSink

  /// A's held-out windows (at most enough for `tokens` rows): their global indices, token ids and A's
  /// activations on positions 1 ..< T (position 0, the attention sink, is dropped as everywhere else).
  struct Windows {
    var indices: [Int]            // [windows] global window index
    var tokens: [[Int]]           // [windows][T]
    var activationsA: Matrix      // [windows * (T − 1), dModel of A]
  }

  func codes(_ a: DiffStage.Loaded, _ b: DiffStage.Loaded, tokens limit: Int) throws -> AtlasDiffer.SharedCodes {
    guard let storeA = try? ActivationStore(atlas: a.atlas) else {
      throw PipelineError.missingInput(
        what: "atlas A's captured activations (needed to compare features by activation correlation)", path: a.atlas.activationsManifest.path,
        fix: "rebuild A with `feature-atlas build --atlas \(a.atlas.root.path)` so that activations/ is complete")
    }
    guard limit > 0 else { throw PipelineError.invalidConfiguration("correlationTokens must be positive, found \(limit)") }
    let windows = try heldOutWindows(storeA, hookPoint: a.side.identity.hookPoint, limit: limit)
    guard !windows.indices.isEmpty else {
      throw PipelineError.mismatch("atlas A holds no held-out windows to compare on; rebuild it with corpus.heldOutFraction > 0")
    }
    let (activationsB, sourceB) = try activations(of: b, on: windows, storeA: storeA, modelA: a.side.identity.modelSHA256)
    func tokenCodes(_ c: SparseCodes) -> TokenCodes {
      TokenCodes(latentCount: c.latentCount, rowStart: c.rowStart, latents: c.latents, values: c.values)
    }
    return AtlasDiffer.SharedCodes(a: tokenCodes(a.autoencoder.encode(windows.activationsA)),
                                   b: tokenCodes(b.autoencoder.encode(activationsB)),
                                   windows: windows.indices.count, sourceA: "A's capture (\(a.side.identity.hookPoint))", sourceB: sourceB)
  }

  func heldOutWindows(_ store: ActivationStore, hookPoint: String, limit: Int) throws -> Windows {
    let T = store.windowLength
    let wanted = max(1, (limit + T - 2) / (T - 1))
    var indices: [Int] = [], tokens: [[Int]] = [], rows: [Float] = []
    for s in 0 ..< store.shardCount where indices.count < wanted {
      let shard = try store.shard(s)
      var all: [Float]?
      for w in 0 ..< shard.windows where indices.count < wanted && store.manifest.isHeldOut(window: shard.firstWindow + w) {
        if all == nil { all = try shard.activations(hookPoint) }
        indices.append(shard.firstWindow + w)
        tokens.append(Array(shard.tokens[w * T ..< (w + 1) * T]))
        rows.append(contentsOf: all![(w * T + 1) * store.dModel ..< (w + 1) * T * store.dModel])
      }
    }
    return Windows(indices: indices, tokens: tokens,
                   activationsA: Matrix(rows: indices.count * (T - 1), columns: store.dModel, storage: rows))
  }

  /// Side `side`'s activations at its own hook point on A's windows, [windows * (T − 1), its dModel], and
  /// where they came from.
  func activations(of side: DiffStage.Loaded, on windows: Windows, storeA: ActivationStore, modelA: String) throws -> (Matrix, String) {
    let hook = side.side.identity.hookPoint
    let d = side.side.decoder.columns
    let T = storeA.windowLength
    // 1. A's capture recorded this hook point too, with the same model.
    if side.side.identity.modelSHA256 == modelA, storeA.manifest.hookPoints.contains(hook), storeA.dModel == d {
      progress.log("diff: B's activations at \(hook) from A's capture")
      return (try rows(of: storeA, hook: hook, windows: windows), "A's capture (\(hook))")
    }
    // 2. The side's own capture holds the same windows.
    if let store = try? ActivationStore(atlas: side.atlas), store.windowLength == T, store.dModel == d,
       store.manifest.hookPoints.contains(hook), let m = try? rows(of: store, hook: hook, windows: windows) {
      progress.log("diff: B's activations at \(hook) from B's capture (the same \(windows.indices.count) windows)")
      return (m, "B's capture (\(hook), the same windows)")
    }
    // 3. Run the side's model over the windows.
    guard let record = side.side.record else {
      throw PipelineError.mismatch("atlas B has no atlas.json model record, so its hook point cannot be captured on A's windows")
    }
    let url = URL(fileURLWithPath: record.model.file)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw PipelineError.missingInput(what: "B's model (to capture \(hook) on A's windows: B's capture does not hold them)", path: url.path,
                                       fix: "put the model file back at that path, or rebuild B on A's corpus so its capture holds the same windows")
    }
    let t0 = Date()
    let loaded = try LoadedModel.load(url, maxPositions: T)
    guard loaded.fileDigest == record.model.sha256 else {
      throw PipelineError.mismatch("the model file \(url.path) differs from the one atlas B was built with (sha256 \(loaded.fileDigest.prefix(12))…, "
                                   + "recorded \(record.model.sha256.prefix(12))…); put B's model file back to compare by activations")
    }
    let point = try HookPoint(name: hook)
    try loaded.language.model.validate(point)
    struct Rows: ActivationObserver {
      let points: Set<HookPoint>
      let d: Int, T: Int
      var out: UnsafeMutablePointer<Float>   // [batch * (T − 1), d]
      mutating func observe(_ point: HookPoint, _ values: UnsafeBufferPointer<Float>, layout: BatchLayout) {
        for r in 0 ..< layout.rows where layout.positionOfRow[r] > 0 {
          let target = out + (layout.sequenceOfRow[r] * (T - 1) + layout.positionOfRow[r] - 1) * d
          for i in 0 ..< d { target[i] = values[r * d + i] }
        }
      }
    }
    var result = Matrix(rows: windows.indices.count * (T - 1), columns: d)
    try result.storage.withUnsafeMutableBufferPointer { p in
      for first in stride(from: 0, to: windows.tokens.count, by: 16) {
        let batch = Array(windows.tokens[first ..< min(first + 16, windows.tokens.count)])
        var observer = Rows(points: [point], d: d, T: T, out: p.baseAddress! + first * (T - 1) * d)
        _ = try loaded.language.model.forward(batch, observer: &observer, logits: .none)
      }
    }
    progress.log(String(format: "diff: captured \(hook) on \(windows.indices.count) of A's windows with B's model in %.1f s", Date().timeIntervalSince(t0)))
    return (result, "a run of B's model (\(hook) on A's windows)")
  }

  /// Rows at `hook` of `store` for exactly the windows (same index, same token ids); throws when a window
  /// is missing or holds other tokens.
  func rows(of store: ActivationStore, hook: String, windows: Windows) throws -> Matrix {
    let (T, d) = (store.windowLength, store.dModel)
    var out: [Float] = []
    out.reserveCapacity(windows.indices.count * (T - 1) * d)
    var cached: (index: Int, shard: ActivationShard, values: [Float])?
    for (k, w) in windows.indices.enumerated() {
      guard let s = store.manifest.shards.firstIndex(where: { w >= $0.firstWindow && w < $0.firstWindow + $0.windows }) else {
        throw PipelineError.mismatch("window \(w) is not in \(store.atlas.root.path)'s capture")
      }
      if cached?.index != s {
        let shard = try store.shard(s)
        cached = (s, shard, try shard.activations(hook))
      }
      guard let (_, shard, values) = cached else { continue }
      let local = w - shard.firstWindow
      guard Array(shard.tokens[local * T ..< (local + 1) * T]) == windows.tokens[k] else {
        throw PipelineError.mismatch("window \(w) of \(store.atlas.root.path)'s capture holds other tokens")
      }
      out.append(contentsOf: values[(local * T + 1) * d ..< (local + 1) * T * d])
    }
    return Matrix(rows: windows.indices.count * (T - 1), columns: d, storage: out)
  }
}

import AtlasArtifacts
import Foundation
import Llama
import SparseAutoencoders
import TensorMath

/// Scores of one continuation, all from the *unsteered* model: the question is whether the text carries
/// the concept and reads fluently, not whether the residual stream was pushed.
package struct ContinuationScore: Sendable {
  package var concept: [Int: ConceptScore]   // feature -> its activation on the generated tokens
  package var nll: Float                     // mean NLL per generated token (nats)
  package var distinct2: Float               // distinct bigrams / bigrams
  package init(concept: [Int: ConceptScore], nll: Float, distinct2: Float) {
    self.concept = concept; self.nll = nll; self.distinct2 = distinct2
  }
}

/// Runs prompt + continuation through the unsteered model once: the hook point's activations on the
/// generated tokens, SAE-encoded, give the concept score; the logits give the NLL. Each prompt's prefix is
/// computed once per batch and copied to the slots that continue it.
struct ContinuationScorer {
  let model: LanguageModel
  let autoencoder: SparseAutoencoder
  let point: HookPoint
  let prompts: [[Int]]
  /// Rows (tokens) per forward call: bounds the logits buffer (rows × vocabulary floats).
  var rowBudget = 1536

  /// `items`: (prompt, continuation, steered feature or nil for a default continuation, which is scored
  /// for every feature in `baselineFeatures`). `baselines[p]` is the first default continuation of prompt p.
  /// Without `nll` the pass stops at the hook point (about half the cost) and every NLL is 0.
  func score(_ items: [(prompt: Int, tokens: [Int], feature: Int?)], baselineFeatures: [Int], nll: Bool = true,
             progress: any ProgressSink, label: String) throws -> (scores: [ContinuationScore], baselines: [ContinuationScore]) {
    var scores = [ContinuationScore](repeating: ContinuationScore(concept: [:], nll: 0, distinct2: 1), count: items.count)
    var start = 0
    while start < items.count {
      var end = start, rows = 0
      while end < items.count, end == start || rows + items[end].tokens.count + 1 <= rowBudget {
        rows += items[end].tokens.count + 1
        end += 1
      }
      let group = Array(start ..< end)
      let results = try scoreGroup(group.map { items[$0] }, baselineFeatures: baselineFeatures, nll: nll)
      for (i, r) in zip(group, results) { scores[i] = r }
      start = end
      progress.progress(label, done: start, total: items.count, unit: "continuations")
    }
    progress.finish(label)
    let baselines = prompts.indices.map { p in
      items.indices.first { items[$0].prompt == p && items[$0].feature == nil }.map { scores[$0] }
        ?? ContinuationScore(concept: [:], nll: 0, distinct2: 1)
    }
    return (scores, baselines)
  }

  private func scoreGroup(_ items: [(prompt: Int, tokens: [Int], feature: Int?)], baselineFeatures: [Int], nll withNLL: Bool) throws
    -> [ContinuationScore]
  {
    let longestPrompt = items.map { prompts[$0.prompt].count }.max() ?? 0
    let longest = items.map(\.tokens.count).max() ?? 0
    let cache = KVCache(configuration: model.configuration, slots: items.count, capacity: longestPrompt + longest + 1)
    // Each prompt but its last token, once, then copied to every slot that continues it.
    var leaders: [Int: Int] = [:]  // prompt -> slot
    var order: [Int] = []
    for (slot, item) in items.enumerated() where leaders[item.prompt] == nil && prompts[item.prompt].count > 1 {
      leaders[item.prompt] = slot
      order.append(item.prompt)
    }
    var none = NoObserver()
    if !order.isEmpty {
      _ = try model.model.forward(order.map { Array(prompts[$0].dropLast()) }, cache: cache, slots: order.compactMap { leaders[$0] },
                                  observer: &none, logits: .lastOfEachSequence)
    }
    for (slot, item) in items.enumerated() {
      if let leader = leaders[item.prompt] { cache.copy(slot: leader, to: slot) }
    }
    let inputs = items.map { item -> [Int] in
      let prompt = prompts[item.prompt]
      return (leaders[item.prompt] != nil ? [prompt[prompt.count - 1]] : prompt) + item.tokens
    }
    var observer = RecordingObserver([point])
    let logits = try model.model.forward(inputs, cache: cache, slots: Array(items.indices), observer: &observer,
                                         logits: withNLL ? .all : .none)
    guard let hooked = observer.recorded[point], logits != nil || !withNLL else {
      throw PipelineError.invalidConfiguration("steering: the scoring pass returned no activations at \(point.name)")
    }
    // Generated rows of every item, encoded in one call.
    var generatedRows: [Int] = []
    var firstRow: [Int] = []  // per item: its first input row
    var row = 0
    for (item, input) in zip(items, inputs) {
      firstRow.append(row)
      let offset = input.count - item.tokens.count
      generatedRows += (row + offset ..< row + input.count).map { $0 }
      row += input.count
    }
    let codes = autoencoder.encode(hooked.gatherRows(generatedRows))
    var codeRow = 0
    var out: [ContinuationScore] = []
    let vocab = logits?.columns ?? 0
    for (i, item) in items.enumerated() {
      let m = item.tokens.count
      let wanted = Set(item.feature.map { [$0] } ?? baselineFeatures)
      var sums: [Int: (sum: Float, count: Int)] = [:]
      for r in codeRow ..< codeRow + m {
        for (latent, value) in codes.row(r) where wanted.contains(latent) && value > 0 {
          sums[latent, default: (0, 0)].sum += value
          sums[latent, default: (0, 0)].count += 1
        }
      }
      codeRow += m
      var concept: [Int: ConceptScore] = [:]
      for f in wanted {
        let s = sums[f] ?? (0, 0)
        concept[f] = ConceptScore(meanActivation: m > 0 ? s.sum / Float(m) : 0, firingFraction: m > 0 ? Float(s.count) / Float(m) : 0,
                                  firingTokens: s.count)
      }
      // Logits row k (from the input's last prompt token on) predicts generated token k.
      let offset = inputs[i].count - m - 1
      var nll: Double = 0
      logits?.storage.withUnsafeBufferPointer { l in
        for k in 0 ..< m {
          let base = l.baseAddress! + (firstRow[i] + offset + k) * vocab
          var peak = -Float.infinity
          for v in 0 ..< vocab { peak = max(peak, base[v]) }
          var sum: Double = 0
          for v in 0 ..< vocab { sum += Double(Elementary.exp(base[v] - peak)) }
          nll += Double(peak) + log(sum) - Double(base[item.tokens[k]])
        }
      }
      out.append(ContinuationScore(concept: concept, nll: m > 0 ? Float(nll / Double(m)) : 0, distinct2: distinct2(item.tokens)))
    }
    return out
  }
}

/// Distinct token bigrams over bigrams (1 when there are fewer than two tokens): 1 for text that never
/// repeats a pair, near 0 for "smooth smooth smooth …".
package func distinct2(_ tokens: [Int]) -> Float {
  guard tokens.count >= 2 else { return 1 }
  var seen = Set<[Int]>()
  for i in 0 ..< tokens.count - 1 { seen.insert([tokens[i], tokens[i + 1]]) }
  return Float(seen.count) / Float(tokens.count - 1)
}

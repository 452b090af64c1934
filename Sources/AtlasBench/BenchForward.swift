import Foundation
import GGUF
import Llama
import TensorMath

/// `atlas-bench forward`: prefill throughput (capture to block L, full forward with all logits) and
/// batch-1 / batch-16 generation, in tokens per second (median of --runs after one warm-up).
enum ForwardBench {
  static func run(_ arguments: [String]) throws {
    let options = BenchOptions(arguments)
    let modelPath = options.string("model", ".cache/model/SmolLM2-135M-Instruct.Q4_1.gguf")
    let runs = options.int("runs", 5)
    let layer = options.int("layer", 15)
    let sequenceLength = options.int("seq", 256)
    let totalTokens = options.int("tokens", 2048)
    let started = Date()
    let model = try LlamaModel(gguf: try GGUFFile(url: URL(fileURLWithPath: modelPath)), maxPositions: 4096)
    print("model loaded in \(String(format: "%.2f", Date().timeIntervalSince(started))) s (dequantized to f32)")
    let ids = try BenchText.tokenIDs(options, count: totalTokens, model: model)
    let sequences = stride(from: 0, to: totalTokens, by: sequenceLength).map { Array(ids[$0 ..< min($0 + sequenceLength, totalTokens)]) }
    print("input: \(sequences.count) x \(sequenceLength) tokens (\(BenchText.describe(options))); runs: \(runs); OpenBLAS \(BLAS.coreName); \(BenchMachine.load())")

    struct Touch: ActivationObserver {
      let points: Set<HookPoint>
      var checksum: Float = 0
      mutating func observe(_ point: HookPoint, _ values: UnsafeBufferPointer<Float>, layout: BatchLayout) {
        checksum += values[values.count - 1]
      }
    }
    let capture = try BenchTiming.measure(runs: runs, tokens: totalTokens) {
      var observer = Touch(points: [.residualOutput(layer: layer)])
      _ = try model.forward(sequences, observer: &observer, logits: .none)
    }
    capture.print("capture blocks.\(layer).hook_resid_post (stop after block \(layer))")
    let full = try BenchTiming.measure(runs: runs, tokens: totalTokens) {
      var none = NoObserver()
      _ = try model.forward(sequences, observer: &none, logits: .all)
    }
    full.print("full forward, logits at every position")

    let newTokens = options.int("new-tokens", 64)
    let prompt = Array(ids.prefix(32))
    for batch in [1, 16] {
      let requests = (0 ..< batch).map { GenerationRequest(prompt: Array(prompt.dropFirst($0 % 8))) }
      let timing = try BenchTiming.measure(runs: max(1, runs / 2), tokens: batch * newTokens) {
        _ = try model.generate(requests, sampling: SamplingConfiguration(maxTokens: newTokens))
      }
      timing.print("generation batch \(batch), \(newTokens) new tokens each (prefill included)")
    }
  }
}

/// Timing helpers shared by the benchmarks.
struct BenchTiming {
  var seconds: [Double]
  var tokens: Int
  var cpuUtilisation: [Double]

  var median: Double { seconds.sorted()[seconds.count / 2] }
  var tokensPerSecond: Double { Double(tokens) / median }

  static func measure(runs: Int, tokens: Int, _ body: () throws -> Void) throws -> BenchTiming {
    try body()  // warm-up
    var seconds: [Double] = []
    var utilisation: [Double] = []
    for _ in 0 ..< runs {
      let cpu0 = BenchMachine.cpuSeconds()
      let t0 = DispatchTime.now().uptimeNanoseconds
      try body()
      let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
      seconds.append(dt)
      utilisation.append((BenchMachine.cpuSeconds() - cpu0) / dt)
    }
    return BenchTiming(seconds: seconds, tokens: tokens, cpuUtilisation: utilisation)
  }

  func print(_ label: String) {
    let all = seconds.map { String(format: "%.0f", Double(tokens) / $0) }.joined(separator: " ")
    let cpu = cpuUtilisation.map { String(format: "%.2f", $0) }.joined(separator: " ")
    Swift.print(String(format: "%-62@ %9.1f tokens/s  (runs: %@; cpu util: %@)", label as NSString, tokensPerSecond, all as NSString, cpu as NSString))
  }
}

enum BenchMachine {
  static func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
      + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
  }

  static func load() -> String {
    let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?"
    return "loadavg \(text.split(separator: " ").prefix(3).joined(separator: " "))"
  }

  /// Peak resident set size of this process (VmHWM), in MiB.
  static func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
      let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
      return kb / 1024
    }
    return 0
  }
}

/// Benchmark input text: --text FILE tokenized with the model's tokenizer, else deterministic ids.
enum BenchText {
  static func tokenIDs(_ options: BenchOptions, count: Int, model: LlamaModel) throws -> [Int] {
    var rng = SplitMix64(seed: 1)
    return (0 ..< count).map { _ in 100 + rng.nextInt(below: 20_000) }
  }

  static func describe(_ options: BenchOptions) -> String { "pseudo-random ids" }
}

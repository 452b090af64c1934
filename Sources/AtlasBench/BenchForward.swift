import ArgumentParser
import AtlasPipeline
import Foundation
import GGUF
import Llama
import TensorMath

/// `atlas-bench forward`: prefill throughput (capture to block L, full forward with all logits) and
/// batch-1 / batch-16 generation, in tokens per second (median of --runs after one warm-up).
struct ForwardBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "forward", abstract: "Prefill (capture to block L, full forward) and generation throughput of the engine, vs peers/bench_forward.py.")

  @Option(help: ArgumentHelp("The .gguf file.", valueName: "path")) var model = BenchModel.relativePath
  @Option(help: "Timed runs (the median is printed; generation runs half as many).") var runs = 5
  @Option(help: "The block whose residual output is captured.") var layer = 15
  @Option(name: .customLong("seq"), help: "Tokens per sequence.") var sequenceLength = 256
  @Option(help: "Tokens per run, cut into sequences of --seq.") var tokens = 2048
  @Option(name: .customLong("new-tokens"), help: "New tokens per generation request.") var newTokens = 64
  @Option(help: ArgumentHelp("Input text (default: the texts in /usr/share/common-licenses).", valueName: "file")) var text: String?
  @OptionGroup var peerOptions: PeerOptions

  func validate() throws {
    guard runs > 0 else { throw ValidationError("--runs must be positive, found \(runs)") }
    guard layer >= 0 else { throw ValidationError("--layer must be 0 or more, found \(layer)") }
    guard sequenceLength > 0, tokens > 0 else { throw ValidationError("--seq and --tokens must be positive") }
    guard newTokens > 0 else { throw ValidationError("--new-tokens must be positive, found \(newTokens)") }
  }

  func run() throws {
    let modelPath = self.model
    let totalTokens = tokens
    let started = Date()
    let language = try LanguageModel(url: URL(fileURLWithPath: modelPath), maxPositions: 4096)
    let model = language.model
    print("model loaded in \(String(format: "%.2f", Date().timeIntervalSince(started))) s (dequantized to f32)")
    let textFile = try BenchText.file(text)
    let ids = try BenchText.tokenIDs(textFile, count: totalTokens, model: language)
    let sequences = stride(from: 0, to: totalTokens, by: sequenceLength).map { Array(ids[$0 ..< min($0 + sequenceLength, totalTokens)]) }
    print("input: \(sequences.count) x \(sequenceLength) tokens (\(textFile.lastPathComponent)); runs: \(runs); OpenBLAS \(BLAS.coreName); \(BenchMachine.load())")

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

    let prompt = Array(ids.prefix(32))
    for batch in [1, 16] {
      let requests = (0 ..< batch).map { GenerationRequest(prompt: Array(prompt.dropFirst($0 % 8))) }
      let timing = try BenchTiming.measure(runs: max(1, runs / 2), tokens: batch * newTokens) {
        _ = try model.generate(requests, sampling: SamplingConfiguration(maxTokens: newTokens))
      }
      timing.print("generation batch \(batch), \(newTokens) new tokens each (prefill included)")
    }

    // The peer, in the same run: transformers fp32 on the same text (2 threads).
    let peers = peerOptions.folder
    let python = peerOptions.interpreter
    guard FileManager.default.fileExists(atPath: python) else { return }
    let json = FileManager.default.temporaryDirectory.appendingPathComponent("atlas-bench-peer-forward.json")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    // llama.cpp runs too when the peers' venv has llama-cpp-python (a 25-minute source build: optional).
    let probe = Process()
    probe.executableURL = URL(fileURLWithPath: python)
    probe.arguments = ["-c", "import llama_cpp"]
    probe.standardOutput = FileHandle.nullDevice
    probe.standardError = FileHandle.nullDevice
    try probe.run()
    probe.waitUntilExit()
    let withLlama = probe.terminationStatus == 0
    process.arguments = [peers.appendingPathComponent("bench_forward.py").path, modelPath, textFile.path,
                         "--layer", "\(layer)", "--runs", "\(runs)", "--tokens", "\(totalTokens)", "--seqs", "\(sequenceLength)",
                         "--json", json.path] + (withLlama ? [] : ["--skip-llamacpp"])
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard let peer = try? JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any],
      let results = peer["results"] as? [String: [String: Any]]
    else { print("(peer bench_forward.py failed)"); return }
    func rate(_ key: String) -> Double { results[key]?["tokens_per_s_median"] as? Double ?? .nan }
    let torchCapture = rate("torch_stopL\(layer)_seq\(sequenceLength)")
    let torchFull = rate("torch_full_seq\(sequenceLength)_alllogits")
    print(String(format: "torch %@ fp32, stop after block %d, %d x %d                  %9.1f tokens/s", (peer["torch"] as? String ?? "?") as NSString,
                 layer, sequences.count, sequenceLength, torchCapture))
    print(String(format: "torch fp32, full forward, logits at every position               %9.1f tokens/s", torchFull))
    if withLlama {
      // llama.cpp prefill computes logits for the last position of each sequence only (its cheapest mode).
      print(String(format: "llama.cpp (same GGUF), %d x %d sequences, last-position logits   %9.1f tokens/s",
                   sequences.count, sequenceLength, rate("llamacpp_seq\(sequenceLength)")))
      print(String(format: "llama.cpp (same GGUF), 1 x %d                                  %9.1f tokens/s",
                   totalTokens, rate("llamacpp_1x\(totalTokens)")))
    } else {
      print("llama.cpp: not run (llama-cpp-python is not installed in the peers' venv)")
    }
    print(String(format: "ratios: capture %.2fx torch (target ≥ 1.25x), full forward %.2fx torch (target ≥ 1.2x); %@",
                 capture.tokensPerSecond / torchCapture, full.tokensPerSecond / torchFull, BenchMachine.load()))
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

  /// "CPU <model name>" from /proc/cpuinfo, printed beside every figure (machines differ).
  static func cpu() -> String {
    let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model = info.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":", maxSplits: 1).last
    return "CPU " + (model.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown")
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

/// Benchmark input text: --text FILE (default: the texts in /usr/share/common-licenses), tokenized with
/// the model's tokenizer; the same file is given to the peer.
enum BenchText {
  static func file(_ path: String?) throws -> URL {
    if let path { return URL(fileURLWithPath: path) }
    let folder = "/usr/share/common-licenses"
    var text = ""
    for name in ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() {
      if let s = try? String(contentsOfFile: folder + "/" + name, encoding: .utf8) { text += s + "\n\n" }
    }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("atlas-bench-text.txt")
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  static func tokenIDs(_ file: URL, count: Int, model: LanguageModel) throws -> [Int] {
    let ids = model.tokenizer.encode(try String(contentsOf: file, encoding: .utf8))
    guard ids.count >= count else {
      throw PipelineError.invalidConfiguration("\(file.path) has \(ids.count) tokens; the benchmark needs \(count)")
    }
    return Array(ids.prefix(count))
  }
}

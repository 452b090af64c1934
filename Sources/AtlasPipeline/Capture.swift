import AtlasArtifacts
import Foundation
import Llama
import TensorMath

/// Element type of stored activations.
public enum ActivationDType: String, Codable, Sendable, CaseIterable {
  case f16 = "F16", f32 = "F32"
  var safetensors: SafeTensorsDType { self == .f16 ? .f16 : .f32 }
  var byteSize: Int { self == .f16 ? 2 : 4 }
}

/// What the capture stage records and how it batches.
public struct CaptureConfiguration: Codable, Sendable, Equatable {
  /// Where the atlas reads the model unless told otherwise: the residual stream after block 15 (of 30).
  public static let defaultHookPoint = HookPoint.residualOutput(layer: 15)
  /// TransformerLens names (the on-disk form); the CLI parses them as `HookPoint`s.
  public var hookPoints: [String] = [CaptureConfiguration.defaultHookPoint.name]
  public var dtype: ActivationDType = .f16
  public var windowsPerBatch: Int = 16
  public var windowsPerShard: Int = 128
  public init() {}
}

/// One context window to run: `tokens[0]` is the boundary token (attention sink).
public struct CaptureWindow: Sendable, Equatable {
  public var index: Int
  public var tokens: [Int]       // [windowLength]
  public var sources: [Int]      // [windowLength] corpus source id per position
  public var documents: [Int]    // [windowLength] document id per position
  public init(index: Int, tokens: [Int], sources: [Int], documents: [Int]) {
    self.index = index; self.tokens = tokens; self.sources = sources; self.documents = documents
  }
}

/// Produces the windows of a capture deterministically, so a resumed capture can start at any index.
public protocol WindowSource: Sendable {
  var windowLength: Int { get }
  var plannedWindows: Int { get }
  var sourceNames: [String] { get }
  /// Sorted indices of the windows held out from training.
  var heldOutWindows: [Int] { get }
  /// Digest of everything that determines the windows (documents, tokenizer, packing parameters).
  var digest: String { get }
  func windows(_ range: Range<Int>) throws -> [CaptureWindow]
}

public enum CaptureError: Error, CustomStringConvertible {
  case noWindows
  case badWindow(index: Int, reason: String)
  case wrongModelWidth(expected: Int, found: Int)

  public var description: String {
    switch self {
    case .noWindows:
      "the corpus produced no context windows; give a larger --tokens budget or more text"
    case .badWindow(let index, let reason):
      "context window \(index) is malformed: \(reason)"
    case .wrongModelWidth(let expected, let found):
      "the activations on disk have d_model \(found), the model has \(expected); delete the activations folder or use the model they came from"
    }
  }
}

/// Runs the model over the windows and streams the hook activations into safetensors shards.
///
/// Resumable: the manifest lists finished shards with their digests and is rewritten (atomically) after
/// each shard; shards are written to a temporary name and renamed, so no half-written file ever carries a
/// final name. A rerun verifies the listed shards and continues after the last good one.
public struct CaptureStage {
  public var configuration: CaptureConfiguration
  public var atlas: AtlasDirectory
  public var progress: any ProgressSink

  public init(configuration: CaptureConfiguration, atlas: AtlasDirectory, progress: any ProgressSink) {
    self.configuration = configuration
    self.atlas = atlas
    self.progress = progress
  }

  /// The fingerprint a finished capture must carry to be reused.
  public static func fingerprint(configuration: CaptureConfiguration, inputs: [String: String], windowLength: Int,
                                 plannedWindows: Int) throws -> String {
    var hasher = SHA256()
    hasher.update(try CanonicalJSON.encodeCompact(configuration))
    hasher.update(try CanonicalJSON.encodeCompact(inputs))
    hasher.update("\(windowLength)/\(plannedWindows)")
    return hasher.hexDigest()
  }

  /// The capture's manifest, and whether a finished capture with the same fingerprint was reused as is.
  public struct Outcome: Sendable {
    public var manifest: ActivationsManifest
    public var reused: Bool
  }

  @discardableResult
  public func run(model: LlamaModel, windows source: some WindowSource, inputs: [String: String]) throws -> Outcome {
    let points = try configuration.hookPoints.map { try HookPoint(name: $0) }
    for p in points { try model.validate(p) }
    guard source.plannedWindows > 0 else { throw CaptureError.noWindows }
    let d = model.configuration.dModel
    let T = source.windowLength
    let fingerprint = try Self.fingerprint(configuration: configuration, inputs: inputs, windowLength: T,
                                           plannedWindows: source.plannedWindows)
    var manifest = try resumableManifest(fingerprint: fingerprint) ?? ActivationsManifest(
      parameters: try JSONValue(encoding: configuration), inputs: inputs, fingerprint: fingerprint,
      hookPoints: points.map(\.name), dModel: d, dtype: configuration.dtype.rawValue, windowLength: T,
      plannedWindows: source.plannedWindows, sourceNames: source.sourceNames, heldOutWindows: source.heldOutWindows,
      shards: [], complete: false)
    if manifest.complete { return Outcome(manifest: manifest, reused: true) }
    try FileManager.default.createDirectory(at: atlas.activations, withIntermediateDirectories: true)
    try manifest.write(to: atlas.activationsManifest)

    let total = source.plannedWindows * T
    var done = manifest.windows
    if done > 0 { progress.log("  resuming capture after \(done) of \(source.plannedWindows) windows (shards verified)") }
    while done < source.plannedWindows {
      let range = done ..< min(done + configuration.windowsPerShard, source.plannedWindows)
      let windows = try source.windows(range)
      guard windows.count == range.count else {
        throw CaptureError.badWindow(index: range.lowerBound, reason: "expected \(range.count) windows, got \(windows.count)")
      }
      for w in windows where w.tokens.count != T || w.sources.count != T || w.documents.count != T {
        throw CaptureError.badWindow(index: w.index, reason: "length \(w.tokens.count), expected \(T)")
      }
      let shard = try captureShard(model: model, windows: windows, points: points, windowLength: T) { batchDone in
        progress.progress("capture", done: (done + batchDone) * T, total: total, unit: "tokens")
      }
      let index = manifest.shards.count
      let url = atlas.activationShard(index)
      let bytes = shard.encoded()
      try AtomicFile.write(bytes, to: url)
      manifest.shards.append(ActivationShardRecord(
        file: url.lastPathComponent, firstWindow: range.lowerBound, windows: range.count, bytes: bytes.count,
        sha256: SHA256.hex(bytes)))
      done = range.upperBound
      manifest.complete = done == source.plannedWindows
      try manifest.write(to: atlas.activationsManifest)
      progress.progress("capture", done: done * T, total: total, unit: "tokens")
    }
    progress.finish("capture")
    return Outcome(manifest: manifest, reused: false)
  }

  /// Reads an existing manifest; keeps it if it has the same fingerprint, after verifying each shard's
  /// digest (the first bad or missing shard and everything after it are discarded). Otherwise starts over.
  func resumableManifest(fingerprint: String) throws -> ActivationsManifest? {
    let fm = FileManager.default
    guard fm.fileExists(atPath: atlas.activationsManifest.path),
      var manifest = try? ActivationsManifest.read(from: atlas.activationsManifest),
      manifest.fingerprint == fingerprint
    else {
      if fm.fileExists(atPath: atlas.activations.path) { try fm.removeItem(at: atlas.activations) }
      return nil
    }
    var verified: [ActivationShardRecord] = []
    for shard in manifest.shards {
      let url = atlas.activations.appendingPathComponent(shard.file)
      guard let data = try? Data(contentsOf: url, options: .alwaysMapped), data.count == shard.bytes,
        SHA256.hex(data) == shard.sha256, shard.firstWindow == verified.reduce(0, { $0 + $1.windows })
      else { break }
      verified.append(shard)
    }
    // Remove leftovers: unlisted shards and temporary files of an interrupted write.
    let keep = Set(verified.map(\.file) + ["manifest.json"])
    for name in (try? fm.contentsOfDirectory(atPath: atlas.activations.path)) ?? [] where !keep.contains(name) {
      try? fm.removeItem(at: atlas.activations.appendingPathComponent(name))
    }
    if verified.count != manifest.shards.count { manifest.complete = false }
    manifest.shards = verified
    return manifest
  }

  /// Runs `windows` in batches and returns the shard's tensors.
  func captureShard(model: LlamaModel, windows: [CaptureWindow], points: [HookPoint], windowLength T: Int,
                    progress: (Int) -> Void) throws -> SafeTensorsWriter {
    let d = model.configuration.dModel
    let n = windows.count
    var stored = [HookPoint: [Float]]()
    for p in points { stored[p] = [Float](repeating: 0, count: n * T * d) }

    struct ShardObserver: ActivationObserver {
      let points: Set<HookPoint>
      var rowOffset = 0
      var stored: [HookPoint: [Float]]
      mutating func observe(_ point: HookPoint, _ values: UnsafeBufferPointer<Float>, layout: BatchLayout) {
        let offset = rowOffset * (values.count / max(layout.rows, 1))
        stored[point]!.withUnsafeMutableBufferPointer { dst in
          (dst.baseAddress! + offset).update(from: values.baseAddress!, count: values.count)
        }
      }
    }
    var observer = ShardObserver(points: Set(points), stored: stored)
    stored = [:]
    var start = 0
    while start < n {
      let end = min(start + configuration.windowsPerBatch, n)
      observer.rowOffset = start * T
      _ = try model.forward(windows[start ..< end].map(\.tokens), observer: &observer, logits: .none)
      start = end
      progress(end)
    }

    var writer = SafeTensorsWriter(metadata: [
      "format": "feature-atlas activations", "first_window": "\(windows[0].index)",
      "window_length": "\(T)", "hook_points": points.map(\.name).joined(separator: ","),
    ])
    for p in points {
      writer.add(p.name, floats: observer.stored[p]!, shape: [n * T, d], as: configuration.dtype.safetensors)
    }
    writer.add("token_ids", int32s: windows.flatMap { $0.tokens.map { Int32($0) } }, shape: [n, T])
    writer.add("source_ids", int32s: windows.flatMap { $0.sources.map { Int32($0) } }, shape: [n, T])
    writer.add("document_ids", int32s: windows.flatMap { $0.documents.map { Int32($0) } }, shape: [n, T])
    writer.add("positions", int32s: windows.flatMap { _ in (0 ..< T).map { Int32($0) } }, shape: [n, T])
    writer.add("window_index", int32s: windows.map { Int32($0.index) }, shape: [n])
    return writer
  }
}

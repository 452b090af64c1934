import AtlasArtifacts
import Foundation
import TensorMath

/// One shard of captured activations, loaded (memory-mapped) for reading.
public struct ActivationShard: @unchecked Sendable {
  public let firstWindow: Int
  public let windows: Int
  public let windowLength: Int
  public let tokens: [Int]       // [windows * windowLength]
  public let sources: [Int]      // [windows * windowLength]
  public let documents: [Int]    // [windows * windowLength]
  let file: SafeTensorsFile

  /// Activations at a hook point as Float32 [windows * windowLength, dModel].
  public func activations(_ hookPoint: String) throws -> [Float] { try file.floats(hookPoint) }
}

/// Reads a finished capture: the manifest, then shards one at a time (memory stays bounded by a shard).
public struct ActivationStore: Sendable {
  public let atlas: AtlasDirectory
  public let manifest: ActivationsManifest

  public init(atlas: AtlasDirectory) throws {
    self.atlas = atlas
    manifest = try ActivationsManifest.read(from: atlas.activationsManifest)
    guard manifest.complete else {
      throw ArtifactError.malformed(path: atlas.activationsManifest.path,
                                    reason: "the capture is unfinished (\(manifest.windows) of \(manifest.plannedWindows) windows); re-run `feature-atlas capture` to resume it")
    }
  }

  public var shardCount: Int { manifest.shards.count }
  public var dModel: Int { manifest.dModel }
  public var windowLength: Int { manifest.windowLength }

  /// The shard's digest-checked contents. A shard that changed on disk is an error (re-run capture).
  public func shard(_ index: Int, verify: Bool = false) throws -> ActivationShard {
    let record = manifest.shards[index]
    let url = atlas.activations.appendingPathComponent(record.file)
    let file = try SafeTensorsFile(url: url)
    if verify {
      let data = try Data(contentsOf: url, options: .alwaysMapped)
      guard SHA256.hex(data) == record.sha256 else {
        throw ArtifactError.malformed(path: url.path, reason: "digest differs from the manifest; re-run `feature-atlas capture --force`")
      }
    }
    let T = manifest.windowLength
    let tokens = try file.integers("token_ids")
    guard tokens.count == record.windows * T else {
      throw ArtifactError.tensorShape(path: url.path, name: "token_ids", expected: "[\(record.windows), \(T)]", found: [tokens.count])
    }
    return ActivationShard(firstWindow: record.firstWindow, windows: record.windows, windowLength: T, tokens: tokens,
                           sources: try file.integers("source_ids"), documents: try file.integers("document_ids"),
                           file: file)
  }

  /// Rows usable for training/statistics from one shard (position 0 dropped), split by the held-out rule.
  /// Returns [rows, dModel] and, per row, (window, position).
  public func rows(shard index: Int, hookPoint: String, heldOut: Bool) throws -> (Matrix, [(window: Int, position: Int)]) {
    let shard = try shard(index)
    let all = try shard.activations(hookPoint)
    let d = manifest.dModel
    let T = shard.windowLength
    var selected: [Float] = []
    var where_: [(Int, Int)] = []
    selected.reserveCapacity(shard.windows * (T - 1) * d)
    for w in 0 ..< shard.windows {
      let window = shard.firstWindow + w
      guard manifest.isHeldOut(window: window) == heldOut else { continue }
      for t in 1 ..< T {
        let row = w * T + t
        selected.append(contentsOf: all[row * d ..< (row + 1) * d])
        where_.append((window, t))
      }
    }
    return (Matrix(rows: where_.count, columns: d, storage: selected), where_.map { (window: $0.0, position: $0.1) })
  }
}

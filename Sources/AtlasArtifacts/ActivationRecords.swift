/// `activations/manifest.json`: the captured residual stream, in safetensors shards.
///
/// Each shard `shard-NNNNN.safetensors` holds `windows` consecutive context windows of `windowLength`
/// tokens: per hook point a tensor named after it (F16 or F32 [windows * windowLength, dModel], row =
/// window-major token), and `token_ids`, `source_ids`, `document_ids`, `positions` (I32 [windows,
/// windowLength]) and `window_index` (I32 [windows]). Position 0 of every window is the attention sink:
/// stored for display, never used for training or statistics.
public struct ActivationShardRecord: Codable, Sendable, Equatable {
  public var file: String
  public var firstWindow: Int
  public var windows: Int
  public var bytes: Int
  public var sha256: String
  public init(file: String, firstWindow: Int, windows: Int, bytes: Int, sha256: String) {
    self.file = file; self.firstWindow = firstWindow; self.windows = windows; self.bytes = bytes; self.sha256 = sha256
  }
}

public struct ActivationsManifest: Artifact, Equatable {
  public static let kind = ArtifactKind.activations
  public static let formatVersion = 1
  public var kind = ActivationsManifest.kind
  public var formatVersion = ActivationsManifest.formatVersion
  public var parameters: JSONValue
  public var inputs: [String: String]      // "model", "tokenizer", "corpus" -> sha256
  public var fingerprint: String           // digest of parameters + inputs: equal => reusable
  public var hookPoints: [String]
  public var dModel: Int
  public var dtype: String                 // "F16" or "F32"
  public var windowLength: Int
  public var plannedWindows: Int
  public var sourceNames: [String]         // source_ids index into this
  public var heldOutWindows: [Int]         // sorted indices of the windows held out from training
  public var shards: [ActivationShardRecord]
  public var complete: Bool

  public var windows: Int { shards.reduce(0) { $0 + $1.windows } }
  /// Tokens usable for training and statistics (position 0 of each window excluded).
  public var usableTokens: Int { windows * (windowLength - 1) }

  public init(parameters: JSONValue, inputs: [String: String], fingerprint: String, hookPoints: [String], dModel: Int,
              dtype: String, windowLength: Int, plannedWindows: Int, sourceNames: [String], heldOutWindows: [Int],
              shards: [ActivationShardRecord], complete: Bool) {
    self.parameters = parameters; self.inputs = inputs; self.fingerprint = fingerprint; self.hookPoints = hookPoints
    self.dModel = dModel; self.dtype = dtype; self.windowLength = windowLength; self.plannedWindows = plannedWindows
    self.sourceNames = sourceNames; self.heldOutWindows = heldOutWindows; self.shards = shards; self.complete = complete
  }

  /// Whether window `window` is held out (binary search in `heldOutWindows`).
  public func isHeldOut(window: Int) -> Bool {
    var low = 0, high = heldOutWindows.count
    while low < high {
      let mid = (low + high) / 2
      if heldOutWindows[mid] < window { low = mid + 1 } else { high = mid }
    }
    return low < heldOutWindows.count && heldOutWindows[low] == window
  }
}

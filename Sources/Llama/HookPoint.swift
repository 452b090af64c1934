import TensorMath

/// A named place in the residual stream (TransformerLens names, as SAELens writes them).
public enum HookPoint: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
  case residualInput(layer: Int)     // blocks.{l}.hook_resid_pre
  case attentionOutput(layer: Int)   // blocks.{l}.hook_attn_out
  case mlpOutput(layer: Int)         // blocks.{l}.hook_mlp_out
  case residualOutput(layer: Int)    // blocks.{l}.hook_resid_post

  public var layer: Int {
    switch self {
    case .residualInput(let l), .attentionOutput(let l), .mlpOutput(let l), .residualOutput(let l): l
    }
  }

  /// Order inside a block: resid_pre < attn_out < mlp_out < resid_post.
  var stage: Int {
    switch self {
    case .residualInput: 0
    case .attentionOutput: 1
    case .mlpOutput: 2
    case .residualOutput: 3
    }
  }

  public static func < (a: HookPoint, b: HookPoint) -> Bool { (a.layer, a.stage) < (b.layer, b.stage) }

  public var name: String {
    switch self {
    case .residualInput(let l): "blocks.\(l).hook_resid_pre"
    case .attentionOutput(let l): "blocks.\(l).hook_attn_out"
    case .mlpOutput(let l): "blocks.\(l).hook_mlp_out"
    case .residualOutput(let l): "blocks.\(l).hook_resid_post"
    }
  }

  public var description: String { name }

  public init(name: String) throws {
    let parts = name.split(separator: ".")
    guard parts.count == 3, parts[0] == "blocks", let layer = Int(parts[1]), layer >= 0 else {
      throw LlamaError.badHookPoint(name)
    }
    switch parts[2] {
    case "hook_resid_pre": self = .residualInput(layer: layer)
    case "hook_attn_out": self = .attentionOutput(layer: layer)
    case "hook_mlp_out": self = .mlpOutput(layer: layer)
    case "hook_resid_post": self = .residualOutput(layer: layer)
    default: throw LlamaError.badHookPoint(name)
    }
  }

  public init(from decoder: Decoder) throws {
    try self.init(name: try decoder.singleValueContainer().decode(String.self))
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(name)
  }
}

/// Which rows of a batch a hook sees: row r belongs to sequence `sequence[r]` at absolute position `position[r]`.
public struct BatchLayout: Sendable {
  public var sequenceOfRow: [Int]   // [rows]
  public var positionOfRow: [Int]   // [rows]
  public var rowRanges: [Range<Int>]  // per sequence, its rows in this call
  public var rows: Int { sequenceOfRow.count }
}

/// Receives activations at hook points during a forward pass. `values` is [rows, dModel], row-major.
public protocol ActivationObserver {
  var points: Set<HookPoint> { get }
  mutating func observe(_ point: HookPoint, _ values: UnsafeBufferPointer<Float>, layout: BatchLayout)
}

/// An edit of the residual stream (or a block output) at a hook point, for steering and splicing.
public enum Intervention: Sendable {
  /// h += scale * vector at the selected positions (vector [dModel]).
  case add(vector: [Float], scale: Float, positions: PositionSelector)
  /// h += (value - h·d) d for unit direction d: the component along d is clamped to `value`.
  case clamp(direction: [Float], value: Float, positions: PositionSelector)
  /// Anthropic's feature clamp: with a(h) the latent's activation under the reader's encoder and d its
  /// decoder row, h += (target − a(h)) · d. Decoding the edited code changes the reconstruction by exactly
  /// that amount, so the reconstruction error h − x̂(h) is kept (clamping to 0 ablates the feature).
  /// At one hook point these are applied, batched over the rows of every sequence, before the other kinds.
  case clampLatent(latent: Int, target: Float, reader: any LatentReader, positions: PositionSelector)
  /// Replace the selected rows with a function of them (e.g. an SAE reconstruction, zero ablation).
  /// The closure gets [rows, dModel] row-major values and their absolute positions.
  case transform(@Sendable (_ values: inout Matrix, _ positions: [Int]) -> Void, positions: PositionSelector)
}

/// Reads latent activations off rows of a hook point: how Llama clamps a sparse-autoencoder feature
/// without knowing autoencoders (the pipeline supplies one backed by its SAE).
public protocol LatentReader: AnyObject, Sendable {
  var dModel: Int { get }
  /// Activation of latent `latents[r]` on row r of `rows` [n, dModel] (0 where it does not fire): [n].
  func activations(_ rows: Matrix, latents: [Int]) -> [Float]
  /// The latent's decoder row d (its output direction at its own scale): [dModel].
  func decoderRow(_ latent: Int) -> [Float]
}

/// Which absolute positions of a sequence an intervention touches.
public enum PositionSelector: Sendable, Equatable, Codable {
  case all
  case from(Int)            // positions >= n (e.g. only generated tokens)
  case range(Range<Int>)

  /// Whether any position below `n` is selected (then a prefix of length n cannot be shared unedited).
  public func touches(below n: Int) -> Bool {
    switch self {
    case .all: n > 0
    case .from(let k): k < n
    case .range(let r): !r.isEmpty && r.lowerBound < n
    }
  }

  /// The first position selected (0 for `.all`; nil when nothing is).
  public var firstPosition: Int? {
    switch self {
    case .all: 0
    case .from(let k): max(k, 0)
    case .range(let r): r.isEmpty ? nil : r.lowerBound
    }
  }

  public func contains(_ position: Int) -> Bool {
    switch self {
    case .all: true
    case .from(let n): position >= n
    case .range(let r): r.contains(position)
    }
  }
}

extension Intervention {
  public var positions: PositionSelector {
    switch self {
    case .add(_, _, let p), .clamp(_, _, let p), .clampLatent(_, _, _, let p), .transform(_, let p): p
    }
  }
}

/// Interventions for one sequence, keyed by hook point.
public typealias InterventionPlan = [HookPoint: [Intervention]]

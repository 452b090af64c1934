import AtlasArtifacts
import Foundation
import TensorMath

/// A trainer's whole state as bytes: restoring it and feeding the same remaining batches ends bit-identical
/// to a run that was never interrupted. Arrays go to safetensors (exact float bits); scalars, the
/// configuration and the curve go to a small JSON (floats that drive training are stored as bit patterns).
/// The caller (the pipeline) writes both atomically.
public struct SAECheckpoint: Sendable, Equatable {
  public var state: Data    // JSON, `CheckpointState`
  public var tensors: Data  // safetensors: parameters, Adam moments, counters, normalisation

  public init(state: Data, tensors: Data) {
    self.state = state
    self.tensors = tensors
  }

  static let kind = "sae-trainer-checkpoint"
  static let formatVersion = 1
}

/// The JSON half of a checkpoint.
struct CheckpointState: Codable {
  var kind: String
  var formatVersion: Int
  var configuration: SAETrainingConfiguration
  var dIn: Int
  var stepsTaken: Int
  var tokensSeen: Int
  var adamSteps: Int
  var rngState: UInt64
  var batchThresholdBits: UInt64   // Double bit pattern
  var curve: [SAEStepReport]
}

enum CheckpointTensor {
  static let parameters = "parameters"                  // [parameter count] F32
  static let firstMoment = "adam_first_moment"          // [parameter count] F32
  static let secondMoment = "adam_second_moment"        // [parameter count] F32
  static let tokensSinceFired = "tokens_since_fired"    // [latents] I64
  static let firingCounts = "firing_counts"             // [latents] I64
  static let scale = "normalisation_scale"              // [1] F32
  static let shift = "normalisation_shift"              // [dIn] F32, only when inputs are centred
}

extension SAETrainer {
  /// The trainer's state as bytes.
  public func checkpoint() throws -> SAECheckpoint {
    let state = CheckpointState(
      kind: SAECheckpoint.kind, formatVersion: SAECheckpoint.formatVersion, configuration: configuration,
      dIn: dIn, stepsTaken: stepsTaken, tokensSeen: tokensSeen, adamSteps: adam.steps, rngState: rng.state,
      batchThresholdBits: batchThreshold.bitPattern, curve: curve)
    var writer = SafeTensorsWriter()
    writer.add(CheckpointTensor.parameters, floats: parameters.storage, shape: [parameters.count])
    writer.add(CheckpointTensor.firstMoment, floats: adam.firstMoment, shape: [parameters.count])
    writer.add(CheckpointTensor.secondMoment, floats: adam.secondMoment, shape: [parameters.count])
    writer.add(CheckpointTensor.tokensSinceFired, int64s: tokensSinceFired.map { Int64($0) }, shape: [tokensSinceFired.count])
    writer.add(CheckpointTensor.firingCounts, int64s: firingCounts.map { Int64($0) }, shape: [firingCounts.count])
    writer.add(CheckpointTensor.scale, floats: [normalisation.scale], shape: [1])
    if let shift = normalisation.shift { writer.add(CheckpointTensor.shift, floats: shift, shape: [shift.count]) }
    return SAECheckpoint(state: try CanonicalJSON.encode(state), tensors: writer.encoded())
  }

  /// A trainer that continues exactly where `checkpoint` was taken.
  public init(restoring checkpoint: SAECheckpoint) throws {
    func fail(_ reason: String) -> SAETrainingError { .checkpoint(reason: reason) }
    let state: CheckpointState
    do { state = try CanonicalJSON.decode(CheckpointState.self, from: checkpoint.state) } catch {
      throw fail("its JSON does not decode (\(error))")
    }
    guard state.kind == SAECheckpoint.kind, state.formatVersion == SAECheckpoint.formatVersion else {
      throw fail("it is '\(state.kind)' format \(state.formatVersion), this build reads '\(SAECheckpoint.kind)' format \(SAECheckpoint.formatVersion)")
    }
    let configuration = state.configuration
    try configuration.validate(dIn: state.dIn)
    let file = try SafeTensorsFile(bytes: checkpoint.tensors, path: "<checkpoint>")
    let count = SAEParameters.count(dIn: state.dIn, dSAE: configuration.latents)
    func floats(_ name: String, _ expected: Int) throws -> [Float] {
      let values = try file.floats(name)
      guard values.count == expected else { throw fail("tensor \(name) has \(values.count) values, expected \(expected)") }
      return values
    }
    func integers(_ name: String) throws -> [Int] {
      let values = try file.integers(name)
      guard values.count == configuration.latents else {
        throw fail("tensor \(name) has \(values.count) values, expected \(configuration.latents)")
      }
      return values
    }
    var adam = AdamState(count: count)
    adam.firstMoment = try floats(CheckpointTensor.firstMoment, count)
    adam.secondMoment = try floats(CheckpointTensor.secondMoment, count)
    adam.steps = state.adamSteps
    let scale = try floats(CheckpointTensor.scale, 1)[0]
    let shift = file.tensors[CheckpointTensor.shift] == nil ? nil : try floats(CheckpointTensor.shift, state.dIn)
    guard scale > 0, scale.isFinite else { throw fail("the normalisation scale is \(scale)") }
    self.init(
      configuration: configuration, dIn: state.dIn, normalisation: SAENormalisation(scale: scale, shift: shift),
      parameters: SAEParameters(dIn: state.dIn, dSAE: configuration.latents,
                                storage: try floats(CheckpointTensor.parameters, count)),
      adam: adam, stepsTaken: state.stepsTaken, tokensSeen: state.tokensSeen,
      tokensSinceFired: try integers(CheckpointTensor.tokensSinceFired),
      firingCounts: try integers(CheckpointTensor.firingCounts),
      batchThreshold: Double(bitPattern: state.batchThresholdBits), rng: SplitMix64(seed: 0).with(state: state.rngState),
      curve: state.curve)
  }
}

extension SplitMix64 {
  /// The generator with its state set (SplitMix64's whole state is one word).
  func with(state: UInt64) -> SplitMix64 {
    var copy = self
    copy.state = state
    return copy
  }
}

import AtlasArtifacts
import Foundation
import TensorMath

/// Why an SAE from another tool could not be read. Each case says what was expected, what was found and
/// what to do.
public enum SAEFormatError: Error, CustomStringConvertible, Equatable {
  case dInMismatch(expected: Int, found: Int)
  case unknownArchitecture(String, supported: [String])
  case missingTensor(name: String, available: [String])
  case tensorShape(name: String, expected: [Int], found: [Int])
  case malformedConfig(key: String, reason: String)
  case unsupported(feature: String, hint: String)
  case missingNormalisationScale
  case unreadableWeights(reason: String)
  case unsupportedDType(String)
  case nonFinite(name: String, index: Int, value: Float)

  public var description: String {
    switch self {
    case .dInMismatch(let expected, let found):
      "the SAE reads d_in = \(found) but the model's hook point has \(expected) values per token; load an SAE trained on this model and hook point"
    case .unknownArchitecture(let name, let supported):
      "SAE architecture '\(name)' is not supported; this build reads \(supported.joined(separator: ", ")) (convert the SAE to one of them, e.g. save it with SAELens as jumprelu)"
    case .missingTensor(let name, let available):
      "the weights have no tensor '\(name)' (they have \(available.sorted().joined(separator: ", "))); is this the weights file that belongs to this cfg.json?"
    case .tensorShape(let name, let expected, let found):
      "tensor '\(name)' has shape \(found), expected \(expected) or its transpose; the cfg.json (d_in, d_sae) and the weights disagree"
    case .malformedConfig(let key, let reason):
      "cfg.json key '\(key)': \(reason); fix the file or re-export the SAE"
    case .unsupported(let feature, let hint):
      "\(feature) is not supported: \(hint)"
    case .missingNormalisationScale:
      "cfg.json says normalize_activations = expected_average_only_in, whose scale is not stored in cfg.json (SAELens keeps it as norm_scaling_factor in pretrained_saes.yaml); pass that number as the normalisation scale"
    case .unreadableWeights(let reason):
      "the weights file cannot be read: \(reason)"
    case .nonFinite(let name, let index, let value):
      "tensor '\(name)' holds \(value) at flat index \(index); an SAE's weights must be finite (re-export it, or check the file for damage)"
    case .unsupportedDType(let dtype):
      "tensor dtype \(dtype) cannot be written; use F32, F16 or BF16"
    }
  }
}

/// Metadata SAELens keeps next to the weights (the `metadata` object of a v6 cfg.json).
public struct SAEMetadata: Codable, Sendable, Equatable {
  public var hookName: String?       // hook_name, e.g. "blocks.15.hook_resid_post"
  public var hookHeadIndex: Int?     // hook_head_index
  public var modelName: String?      // model_name
  public var contextSize: Int?       // context_size
  public var prependBOS: Bool?       // prepend_bos
  public var datasetPath: String?    // dataset_path

  public init(hookName: String? = nil, hookHeadIndex: Int? = nil, modelName: String? = nil, contextSize: Int? = nil,
              prependBOS: Bool? = nil, datasetPath: String? = nil) {
    self.hookName = hookName
    self.hookHeadIndex = hookHeadIndex
    self.modelName = modelName
    self.contextSize = contextSize
    self.prependBOS = prependBOS
    self.datasetPath = datasetPath
  }

  enum CodingKeys: String, CodingKey {
    case hookName = "hook_name", hookHeadIndex = "hook_head_index", modelName = "model_name"
    case contextSize = "context_size", prependBOS = "prepend_bos", datasetPath = "dataset_path"
  }
}

/// An SAE read from another tool's files, with what the loader changed to make it ours.
public struct ImportedSAE: Sendable, Equatable {
  public var autoencoder: SparseAutoencoder
  public var metadata: SAEMetadata
  /// Transformations applied while loading (folds, transposes), for the log.
  public var adjustments: [String]
}

// MARK: - Reading helpers shared by the loaders

/// A JSON value as written by Python tools (ints, floats written as 32.0, booleans, nulls), decoded without
/// Foundation's NSNumber bridging (which cannot tell `true` from `1` on every platform).
enum JSONValue: Decodable {
  case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

  init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() { self = .null }
    else if let b = try? c.decode(Bool.self) { self = .bool(b) }
    else if let d = try? c.decode(Double.self) { self = .number(d) }
    else if let s = try? c.decode(String.self) { self = .string(s) }
    else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
    else { self = .object(try c.decode([String: JSONValue].self)) }
  }
}

/// A cfg.json object with typed accessors that report the key on a type mismatch.
struct ConfigObject {
  var values: [String: JSONValue]

  init(_ data: Data) throws {
    guard let value = try? JSONDecoder().decode(JSONValue.self, from: data), case .object(let values) = value else {
      throw SAEFormatError.malformedConfig(key: "(file)", reason: "not a JSON object")
    }
    self.values = values
  }

  init(values: [String: JSONValue]) { self.values = values }

  func has(_ key: String) -> Bool {
    if let v = values[key], case .null = v { return false }
    return values[key] != nil
  }

  private func mismatch(_ key: String, _ expected: String) -> SAEFormatError {
    .malformedConfig(key: key, reason: "expected \(expected), found \(values[key].map { "\($0)" } ?? "nothing")")
  }

  func string(_ key: String) throws -> String? {
    guard has(key) else { return nil }
    guard case .string(let s) = values[key] else { throw mismatch(key, "a string") }
    return s
  }

  func int(_ key: String) throws -> Int? {
    guard has(key) else { return nil }
    guard case .number(let d) = values[key], d.rounded() == d, abs(d) < 1e15 else { throw mismatch(key, "an integer") }
    return Int(d)
  }

  func bool(_ key: String) throws -> Bool? {
    guard has(key) else { return nil }
    guard case .bool(let b) = values[key] else { throw mismatch(key, "true or false") }
    return b
  }

  func object(_ key: String) throws -> ConfigObject? {
    guard has(key) else { return nil }
    guard case .object(let o) = values[key] else { throw mismatch(key, "an object") }
    return ConfigObject(values: o)
  }

  func require<T>(_ key: String, _ read: (String) throws -> T?) throws -> T {
    guard let v = try read(key) else { throw SAEFormatError.malformedConfig(key: key, reason: "missing") }
    return v
  }
}

/// Tensors of a safetensors file, read as Float32 whatever their stored float type.
struct TensorReader {
  let file: SafeTensorsFile

  init(_ data: Data) throws {
    do { file = try SafeTensorsFile(bytes: data, path: "<weights>") } catch {
      throw SAEFormatError.unreadableWeights(reason: "\(error)")
    }
  }

  func has(_ name: String) -> Bool { file.tensors[name] != nil }

  func shape(_ name: String) throws -> [Int] {
    guard let info = file.tensors[name] else { throw SAEFormatError.missingTensor(name: name, available: file.names) }
    return info.shape
  }

  func vector(_ name: String, count: Int) throws -> [Float] {
    let found = try shape(name)
    guard found.reduce(1, *) == count, found.count <= 1 || found.dropLast().allSatisfy({ $0 == 1 }) else {
      throw SAEFormatError.tensorShape(name: name, expected: [count], found: found)
    }
    return try floats(name)
  }

  /// A 2-D tensor as [rows, columns] (the format's convention). Stored transposed, it is transposed back:
  /// the axes are matched by size, so a converter that flipped the convention still loads. When rows equal
  /// columns the sizes cannot tell, and the convention is trusted.
  func matrix(_ name: String, rows: Int, columns: Int, adjustments: inout [String]) throws -> Matrix {
    let found = try shape(name)
    if found == [rows, columns] { return Matrix(rows: rows, columns: columns, storage: try floats(name)) }
    if found == [columns, rows] {
      adjustments.append("\(name) stored as \(found); transposed to [\(rows), \(columns)]")
      return Matrix(rows: columns, columns: rows, storage: try floats(name)).transposed
    }
    throw SAEFormatError.tensorShape(name: name, expected: [rows, columns], found: found)
  }

  private func floats(_ name: String) throws -> [Float] {
    let values: [Float]
    do { values = try file.floats(name) } catch {
      throw SAEFormatError.unreadableWeights(reason: "\(error)")
    }
    if let bad = values.firstIndex(where: { !$0.isFinite }) {
      throw SAEFormatError.nonFinite(name: name, index: bad, value: values[bad])
    }
    return values
  }
}

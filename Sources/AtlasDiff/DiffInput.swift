import AtlasArtifacts
import TensorMath

/// What the diff needs to know about one feature besides its directions.
public struct DiffFeatureFacts: Sendable, Equatable {
  public var label: String
  public var labelPattern: [String]
  public var labelAccuracy: Double?        // held-out balanced accuracy of the label
  public var labelContradicted: Bool
  public var density: Double
  public var topTokens: [String]           // most frequent first
  public var dead: Bool
  public init(label: String, labelPattern: [String], labelAccuracy: Double?, labelContradicted: Bool, density: Double,
              topTokens: [String], dead: Bool) {
    self.label = label; self.labelPattern = labelPattern; self.labelAccuracy = labelAccuracy
    self.labelContradicted = labelContradicted; self.density = density; self.topTokens = topTokens; self.dead = dead
  }

  public init(_ record: FeatureRecord) {
    self.init(label: record.label.text, labelPattern: record.label.pattern, labelAccuracy: record.label.evidence?.balancedAccuracy,
              labelContradicted: record.label.contradicted, density: record.density, topTokens: record.topTokens.map(\.token),
              dead: record.flags.contains(.dead))
  }
}

/// One cluster level of a map: its name, the cluster id of every feature (−1: none) and cluster labels.
public struct DiffClusterLevel: Sendable, Equatable {
  public var name: String
  public var ids: [Int]                    // [latents]
  public var labels: [String]              // [clusters at this level], by id
  public init(name: String, ids: [Int], labels: [String] = []) { self.name = name; self.ids = ids; self.labels = labels }
}

/// One atlas, as the diff reads it: SAE directions, per-feature facts, the map and the run records.
public struct DiffSide: Sendable {
  public var identity: DiffSideRecord
  public var decoder: Matrix               // [latents, dModel]  W_dec rows
  public var encoder: Matrix               // [latents, dModel]  W_enc columns, as rows
  public var features: [DiffFeatureFacts]? // [latents], nil when the atlas has no features stage
  public var x: [Float]?                   // [latents] map positions, nil without a layout
  public var y: [Float]?                   // [latents]
  public var clusters: [DiffClusterLevel]
  public var record: AtlasRecord?
  public var training: SAETrainingRecord?
  public var featuresManifest: FeaturesManifest?

  public init(identity: DiffSideRecord, decoder: Matrix, encoder: Matrix, features: [DiffFeatureFacts]? = nil, x: [Float]? = nil,
              y: [Float]? = nil, clusters: [DiffClusterLevel] = [], record: AtlasRecord? = nil, training: SAETrainingRecord? = nil,
              featuresManifest: FeaturesManifest? = nil) {
    self.identity = identity; self.decoder = decoder; self.encoder = encoder; self.features = features; self.x = x; self.y = y
    self.clusters = clusters; self.record = record; self.training = training; self.featuresManifest = featuresManifest
  }

  public var latents: Int { decoder.rows }

  /// Checks that every array has one entry per latent.
  func validate(_ name: String) throws(DiffError) {
    let n = decoder.rows
    guard encoder.rows == n, encoder.columns == decoder.columns else {
      throw .shape(what: "\(name)'s encoder", expected: "[\(n), \(decoder.columns)]", found: "[\(encoder.rows), \(encoder.columns)]")
    }
    if let features, features.count != n {
      throw .shape(what: "\(name)'s feature records", expected: "\(n)", found: "\(features.count)")
    }
    if let x, let y, x.count != n || y.count != n {
      throw .shape(what: "\(name)'s map positions", expected: "\(n) points", found: "\(x.count) x, \(y.count) y")
    }
    for level in clusters where level.ids.count != n {
      throw .shape(what: "\(name)'s cluster level \(level.name)", expected: "\(n) ids", found: "\(level.ids.count)")
    }
  }
}

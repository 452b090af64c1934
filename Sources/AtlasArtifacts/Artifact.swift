import Foundation

/// The kinds of artifact an atlas directory holds; each names the command that (re)creates it.
public enum ArtifactKind: String, Codable, Sendable, CaseIterable {
  case atlas, activations, sae, features, layout, steering, site, stage
  case topics, diff
  /// The two halves of a features shard: what every stage reads, and the example windows only pages read.
  case featureSummaries = "feature-summaries", featureExamples = "feature-examples"

  /// The command a user runs to recreate this artifact.
  public var producingCommand: String {
    switch self {
    case .atlas: "feature-atlas build"
    case .activations: "feature-atlas capture"
    case .sae: "feature-atlas train"
    case .features, .featureSummaries, .featureExamples: "feature-atlas analyze"
    case .layout: "feature-atlas layout"
    case .steering: "feature-atlas steer"
    case .site: "feature-atlas render"
    case .stage: "feature-atlas build"
    case .topics: "feature-atlas probe"
    case .diff: "feature-atlas diff"
    }
  }
}

/// The first two fields of every manifest, read before anything else.
public struct ArtifactHeader: Codable, Sendable {
  public var kind: ArtifactKind
  public var formatVersion: Int
}

/// A JSON record that starts with `{"kind", "formatVersion"}`.
public protocol Artifact: Codable, Sendable {
  static var kind: ArtifactKind { get }
  static var formatVersion: Int { get }
}

extension Artifact {
  /// Reads a manifest header-first: a different kind or version is an error naming the command to re-run.
  public static func read(from url: URL) throws -> Self {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw ArtifactError.missing(path: url.path, hint: "run `\(kind.producingCommand)` first")
    }
    let header: ArtifactHeader
    do { header = try CanonicalJSON.decode(ArtifactHeader.self, from: data) } catch {
      throw ArtifactError.malformed(path: url.path, reason: "no kind/formatVersion header (\(error))")
    }
    guard header.kind == kind, header.formatVersion == formatVersion else {
      throw ArtifactError.incompatible(path: url.path, kind: kind.rawValue, expectedVersion: formatVersion,
                                       foundKind: header.kind.rawValue, foundVersion: header.formatVersion,
                                       rerun: kind.producingCommand)
    }
    do { return try CanonicalJSON.decode(Self.self, from: data) } catch {
      throw ArtifactError.malformed(path: url.path, reason: "\(error)")
    }
  }

  public func write(to url: URL) throws {
    try CanonicalJSON.write(self, to: url)
  }
}

/// Where everything lives inside an atlas directory (one place, so no path is spelled twice).
public struct AtlasDirectory: Sendable {
  public let root: URL
  public init(_ root: URL) { self.root = root }

  public var atlasRecord: URL { root.appendingPathComponent("atlas.json") }

  public var activations: URL { root.appendingPathComponent("activations") }
  public var activationsManifest: URL { activations.appendingPathComponent("manifest.json") }
  public func activationShard(_ index: Int) -> URL {
    activations.appendingPathComponent("shard-\(String(index).leftPadded(to: 5)).safetensors")
  }

  public var sae: URL { root.appendingPathComponent("sae") }
  public var saeConfig: URL { sae.appendingPathComponent("cfg.json") }
  public var saeWeights: URL { sae.appendingPathComponent("sae_weights.safetensors") }
  public var saeSparsity: URL { sae.appendingPathComponent("sparsity.safetensors") }
  public var saeManifest: URL { sae.appendingPathComponent("manifest.json") }
  public var saeTraining: URL { sae.appendingPathComponent("training.json") }
  public var saeCheckpoints: URL { sae.appendingPathComponent("checkpoints") }

  public var features: URL { root.appendingPathComponent("features") }
  public var featuresManifest: URL { features.appendingPathComponent("manifest.json") }
  /// `summaries-NNNNN.json`: one shard's records without example windows (`FeatureSummaryShard`).
  public func featureSummaries(_ index: Int) -> URL {
    features.appendingPathComponent("summaries-\(String(index).leftPadded(to: 5)).json")
  }
  /// `examples-NNNNN.json`: the same features' example windows (`FeatureExampleShard`).
  public func featureExamples(_ index: Int) -> URL {
    features.appendingPathComponent("examples-\(String(index).leftPadded(to: 5)).json")
  }

  public var layout: URL { root.appendingPathComponent("layout") }
  public var layoutManifest: URL { layout.appendingPathComponent("manifest.json") }
  public var layoutPositions: URL { layout.appendingPathComponent("positions.safetensors") }
  public var layoutNeighbours: URL { layout.appendingPathComponent("knn.safetensors") }
  public var layoutClusters: URL { layout.appendingPathComponent("clusters.json") }

  public var steering: URL { root.appendingPathComponent("steering") }
  public var steeringRecord: URL { steering.appendingPathComponent("steering.json") }

  public var site: URL { root.appendingPathComponent("site") }
  public var siteIndex: URL { site.appendingPathComponent("index.html") }

  /// `stages/<name>.json`: what each stage last wrote, with the digests of its files (see `StageStamp`).
  public var stamps: URL { root.appendingPathComponent("stages") }
  public func stamp(_ stage: String) -> URL { stamps.appendingPathComponent("\(stage).json") }
  /// The lock every writing command holds (see `AtlasLock`).
  public var lock: URL { root.appendingPathComponent(".lock") }
}

/// The 2D map and its clusters, written by the layout stage.

public struct ClusterRecord: Codable, Sendable, Equatable {
  public var level: Int              // 0 = coarse
  public var id: Int                 // index within its level
  public var parent: Int?            // cluster id at level - 1
  public var size: Int
  public var label: String
  public var terms: [String]         // distinctive terms of its members, most distinctive first
  public var representative: Int     // feature index
  public var x: Float                // centroid on the map
  public var y: Float
  public init(level: Int, id: Int, parent: Int?, size: Int, label: String, terms: [String], representative: Int, x: Float, y: Float) {
    self.level = level; self.id = id; self.parent = parent; self.size = size; self.label = label
    self.terms = terms; self.representative = representative; self.x = x; self.y = y
  }
}

public struct ClusterLevelRecord: Codable, Sendable, Equatable {
  public var name: String            // "coarse", "middle", "fine"
  public var clusters: [ClusterRecord]
  public init(name: String, clusters: [ClusterRecord]) { self.name = name; self.clusters = clusters }
}

/// `layout/clusters.json`.
public struct ClusterHierarchyRecord: Codable, Sendable, Equatable {
  public var levels: [ClusterLevelRecord]
  public init(levels: [ClusterLevelRecord]) { self.levels = levels }
}

/// `layout/manifest.json`. Positions live in `positions.safetensors` (`x`, `y` F32 [n]; `cluster_level_L`
/// I32 [n] for each level), the kNN graph in `knn.safetensors` (`indices` I32 [n, k], `distances` F32 [n, k]).
public struct LayoutManifest: Artifact, Equatable {
  public static let kind = ArtifactKind.layout
  public static let formatVersion = 1
  public var kind = LayoutManifest.kind
  public var formatVersion = LayoutManifest.formatVersion
  public var parameters: JSONValue
  public var inputs: [String: String]
  public var features: Int
  public var levels: [String]
  public var quality: [String: Double]   // "trustworthiness@10", "nmiSource.level0", ...
  public init(parameters: JSONValue, inputs: [String: String], features: Int, levels: [String], quality: [String: Double]) {
    self.parameters = parameters; self.inputs = inputs; self.features = features; self.levels = levels
    self.quality = quality
  }
}

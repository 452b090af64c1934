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

/// `layout/positions.safetensors` read against `layout/clusters.json` and the feature count: the one reader
/// of map positions and cluster assignments for every consumer (site, briefing).
public struct LayoutPositions: Sendable {
  public let x: [Float]              // [n]
  public let y: [Float]              // [n]
  public let assignment: [[Int]]     // [levels][n] cluster id per level, -1 = unclustered

  /// Reads and cross-checks: one point per feature, every cluster id known to its level, clusters in id order.
  public static func read(_ atlas: AtlasDirectory, hierarchy: ClusterHierarchyRecord, features n: Int) throws -> LayoutPositions {
    let path = atlas.layoutPositions.path
    func inconsistent(_ reason: String) -> ArtifactError {
      .malformed(path: path, reason: "\(reason); the layout stage writes it (`feature-atlas build --atlas \(atlas.root.path) --force layout`)")
    }
    let positions = try SafeTensorsFile(url: atlas.layoutPositions)
    let x = try positions.floats("x")
    let y = try positions.floats("y")
    var assignment: [[Int]] = []
    for level in hierarchy.levels.indices {
      assignment.append(try positions.integers("cluster_level_\(level)"))
    }
    guard x.count == n, y.count == n, assignment.allSatisfy({ $0.count == n }) else {
      throw inconsistent("it has \(x.count) points (cluster arrays \(assignment.map(\.count))), features/manifest.json has \(n) features")
    }
    for (level, clusters) in hierarchy.levels.enumerated() {
      for (k, cluster) in clusters.clusters.enumerated() where cluster.id != k || cluster.level != level {
        throw inconsistent("layout/clusters.json level \(level) entry \(k) is cluster \(cluster.level)-\(cluster.id); entries must be in id order")
      }
      if let bad = assignment[level].first(where: { $0 >= clusters.clusters.count || $0 < -1 }) {
        throw inconsistent("cluster_level_\(level) names cluster \(bad), but layout/clusters.json has \(clusters.clusters.count) clusters at that level")
      }
    }
    return LayoutPositions(x: x, y: y, assignment: assignment)
  }
}

import MapLayout
import TensorMath
import Testing

@Suite("Clusters")
struct ClusterTests {
  @Test("The hierarchy recovers planted groups, is nested, covers every point and keeps coarse clusters small")
  func recoversPlantedGroups() throws {
    let data = PlantedGroups(n: 1200, d: 48, groups: 12, spread: 1.1, seed: 4)
    var clusters = ClusterConfiguration()
    clusters.targets = [12, 24, 60]
    var layout = LayoutConfiguration()
    layout.epochs = 100
    let result = try FeatureMap.build(vectors: data.vectors, layout: layout, clusters: clusters)
    let h = result.clusters
    #expect(h.levels.count == 3)
    #expect(h.isNested)
    let coarse = h.levels[0]
    let nmi = try Quality.normalizedMutualInformation(coarse.assignments.map(Int.init), data.labels)
    let ari = try Quality.adjustedRandIndex(coarse.assignments.map(Int.init), data.labels)
    #expect(nmi > 0.95 && ari > 0.9, "NMI \(nmi), ARI \(ari), \(coarse.clusters.count) clusters")
    #expect(coarse.largestShare <= 0.25)
    for (index, level) in h.levels.enumerated() {
      #expect(level.assignments.count == 1200)
      #expect(level.clusters.map(\.size).reduce(0, +) == 1200)
      #expect(level.assignments.allSatisfy { $0 >= 0 && Int($0) < level.clusters.count })
      for cluster in level.clusters {
        #expect(level.assignments[cluster.representative] == Int32(cluster.id))
        #expect((index == 0) == (cluster.parent == nil))
        if let parent = cluster.parent {
          #expect(h.levels[index - 1].assignments[cluster.representative] == Int32(parent))
        }
      }
      // Sorted largest first.
      #expect(level.clusters.map(\.size) == level.clusters.map(\.size).sorted(by: >))
    }
    #expect(h.levels[1].clusters.count > h.levels[0].clusters.count)
    #expect(h.levels[2].clusters.count > h.levels[1].clusters.count)
  }

  @Test("Level sizes land near their targets")
  func targets() throws {
    let data = PlantedGroups(n: 3000, d: 32, groups: 60, spread: 1.5, seed: 6)
    let unit = try NearestNeighbours.unitRows(data.vectors)
    let set = FuzzySimplicialSet.build(from: NearestNeighbours.exact(unit, k: 15))
    var configuration = ClusterConfiguration()
    configuration.targets = [8, 30, 100]
    let h = try Clustering.hierarchy(graph: set.graph, unitRows: unit, positions: [Float](repeating: 0, count: 6000),
                                     configuration: configuration)
    for (level, target) in zip(h.levels, [8, 30, 100]) {
      let count = Double(level.clusters.count)
      #expect(count >= 0.6 * Double(target) && count <= 1.6 * Double(target), "\(count) clusters for target \(target)")
    }
    #expect(h.levels[0].largestShare <= 0.25)
  }

  @Test("Clusters are deterministic")
  func deterministic() throws {
    let data = PlantedGroups(n: 800, d: 24, groups: 10, spread: 1.4, seed: 1)
    let unit = try NearestNeighbours.unitRows(data.vectors)
    let set = FuzzySimplicialSet.build(from: NearestNeighbours.exact(unit, k: 15))
    let positions = [Float](repeating: 1, count: 1600)
    let a = try Clustering.hierarchy(graph: set.graph, unitRows: unit, positions: positions)
    let b = try Clustering.hierarchy(graph: set.graph, unitRows: unit, positions: positions)
    #expect(a == b)
  }

  @Test("The representative is the cosine medoid and the centroid the mean map position")
  func representative() throws {
    // Two triangles joined by one weak edge; vectors make point 1 the centre of the first.
    let graph = SparseGraph.fromTriples(
      count: 6, rows: [0, 1, 0, 2, 1, 2, 3, 4, 3, 5, 4, 5, 2, 3], columns: [1, 0, 2, 0, 2, 1, 4, 3, 5, 3, 5, 4, 3, 2],
      weights: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.05, 0.05])
    let unit = try NearestNeighbours.unitRows(Matrix(rows: 6, columns: 3, storage: [
      1, 0.2, 0, 1, 0, 0, 1, -0.2, 0.01, 0, 0, 1, 0.1, 0, 1, -0.1, 0, 1,
    ]))
    let positions: [Float] = [0, 0, 2, 0, 1, 3, 10, 10, 12, 10, 11, 13]
    var configuration = ClusterConfiguration()
    configuration.targets = [2]
    configuration.maxLargestShare = 0.5
    configuration.minClusterSize = 1
    let h = try Clustering.hierarchy(graph: graph, unitRows: unit, positions: positions, configuration: configuration)
    let level = h.levels[0]
    #expect(level.clusters.count == 2)
    let first = level.clusters[Int(level.assignments[0])]
    #expect(first.representative == 1)
    #expect(first.centroid == [1, 1])
    #expect(h.members(level: 0, cluster: first.id) == [0, 1, 2])
  }

  @Test("Cluster terms prefer what is frequent in the cluster and rare elsewhere")
  func clusterTerms() {
    let cluster = [["the", "Python", "def"], ["the", "python", "class"], ["def", "python", "the"], ["lambda", "the"]]
    let elsewhere = (0 ..< 96).map { i in i % 2 == 0 ? ["the", "cat"] : ["the", "def", "dog"] }
    let index = TermIndex(allTerms: cluster + elsewhere)
    let terms = Clustering.clusterTerms(memberTerms: cluster, background: index, count: 2)
    #expect(terms == ["python", "def"])  // "the" is in every feature; "lambda" and "class" once only
    #expect(Clustering.clusterTerms(memberTerms: [["Solo"]], background: index, count: 3) == ["Solo"])
  }

  @Test("No two cluster names of a level read alike while other terms are left")
  func distinctNames() {
    let names = Clustering.distinctNames([
      ["shakespeare", "fortunes", ",", "the"],
      ["Fortunes", "Shakespeare", ",", "licenses", "to"],   // same set as the first, whatever the order and case
      ["shakespeare", "fortunes", "licenses", "of"],         // the second took this set: the next term comes in
      ["a", "b"],
      ["b", "a"],                                            // nothing left to swap in: kept as it is
    ])
    #expect(names == [["shakespeare", "fortunes", ","], ["Fortunes", "Shakespeare", "licenses"],
                      ["shakespeare", "fortunes", "of"], ["a", "b"], ["b", "a"]])
  }
}

@Suite("Clusters of a disconnected graph")
struct DisconnectedClusterTests {
  @Test("Coarse levels still reach their targets when the neighbour graph falls apart into many components")
  func bridgesComponents() throws {
    // 40 tight groups in a 48-d space: no kNN edge crosses groups, so the graph has 40 components.
    let data = PlantedGroups(n: 1600, d: 48, groups: 40, spread: 0.3, seed: 17)
    let unit = try NearestNeighbours.unitRows(data.vectors)
    let set = FuzzySimplicialSet.build(from: NearestNeighbours.exact(unit, k: 10))
    #expect(SpectralInit.connectedComponents(set.graph).count == 40)
    var configuration = ClusterConfiguration()
    configuration.targets = [6, 20, 40]
    let h = try Clustering.hierarchy(graph: set.graph, unitRows: unit, positions: [Float](repeating: 0, count: 3200),
                                     configuration: configuration)
    #expect(h.isNested)
    #expect((4 ... 9).contains(h.levels[0].clusters.count), "\(h.levels[0].clusters.count) coarse clusters")
    #expect((14 ... 28).contains(h.levels[1].clusters.count), "\(h.levels[1].clusters.count) middle clusters")
    #expect(h.levels[0].largestShare <= 0.25)
    // The fine level keeps the planted groups apart.
    let fine = h.levels[2].assignments.map(Int.init)
    #expect(try Quality.normalizedMutualInformation(fine, data.labels) > 0.95)
  }
}

import AtlasArtifacts
import AtlasFixtures
import Foundation
import TestSupport
import Testing

import AtlasSite

@Suite("Determinism, replacement and scale options")
struct DeterminismTests {
  @Test("Rendering the same atlas twice gives byte-identical files")
  func byteIdentical() throws {
    var options = SyntheticAtlasOptions()
    options.features = 150
    options.clusters = [5, 10, 20]
    let (atlas, _) = try SiteFixture.atlas("determinism", options: options)
    defer { try? FileManager.default.removeItem(at: atlas.root) }
    let first = try snapshot(atlas.site)
    let copy = atlas.root.appendingPathComponent("first-site")
    try FileManager.default.moveItem(at: atlas.site, to: copy)
    try SiteRenderer(resources: SiteFixture.resources()).render(atlas: atlas)
    let second = try snapshot(atlas.site)
    #expect(first.keys.sorted() == second.keys.sorted())
    for (path, data) in first { #expect(second[path] == data, "\(path) differs between renders") }
    #expect(first.count > 150)
  }

  @Test("A failed render leaves the previous site in place and no temporary directory behind")
  func failedRenderKeepsOldSite() throws {
    var options = SyntheticAtlasOptions()
    options.features = 60
    options.clusters = [3, 6, 12]
    let (atlas, _) = try SiteFixture.atlas("swap", options: options)
    defer { try? FileManager.default.removeItem(at: atlas.root) }
    let before = try snapshot(atlas.site)
    // Corrupt one shard: the first pass reads it and the render fails.
    try Data("{not json".utf8).write(to: atlas.featureSummaries(0))
    #expect(throws: ArtifactError.self) { try SiteRenderer(resources: SiteFixture.resources()).render(atlas: atlas) }
    #expect(try snapshot(atlas.site) == before)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: atlas.root.path).filter { $0.hasPrefix(".site") }
    #expect(leftovers.isEmpty, "left behind: \(leftovers)")
  }

  @Test("A successful render replaces the previous site completely")
  func replaces() throws {
    var options = SyntheticAtlasOptions()
    options.features = 40
    options.clusters = [3, 6, 10]
    let (atlas, _) = try SiteFixture.atlas("replace", options: options)
    defer { try? FileManager.default.removeItem(at: atlas.root) }
    let stale = atlas.site.appendingPathComponent("features/stale.html")
    try Data("old".utf8).write(to: stale)
    try SiteRenderer(resources: SiteFixture.resources()).render(atlas: atlas)
    #expect(!FileManager.default.fileExists(atPath: stale.path))
    #expect(FileManager.default.fileExists(atPath: atlas.siteIndex.path))
  }

  @Test("Large atlases split map data into chunks, thin the inline map and paginate cluster members")
  func scaleOptions() throws {
    var options = SyntheticAtlasOptions()
    options.features = 900
    options.clusters = [4, 8, 16]
    options.topExamples = 2
    options.samplesPerGroup = 1
    let (atlas, _) = try SiteFixture.atlas("scale-options", options: options, render: false)
    defer { try? FileManager.default.removeItem(at: atlas.root) }
    let report = try SiteRenderer(resources: SiteFixture.resources(),
                                  options: SiteOptions(membersPerPage: 100, staticMapPoints: 250, mapChunkSize: 200)).render(atlas: atlas)
    #expect(report.mapChunks == 5)
    #expect(report.staticMapPoints == 225)    // every 4th of 900
    let files = Set(SiteFixture.files(under: atlas.site))
    for k in 0 ..< 5 { #expect(files.contains("data/map-00\(k).js")) }
    #expect(!files.contains("data/map-005.js"))
    let index = try SiteFixture.text(atlas.siteIndex)
    #expect(index.components(separatedBy: "h0").count - 1 == 225)
    #expect(index.contains("shows 225 of 900 features"))
    // Coarse clusters hold ~225 features: 3 pages of 100, each linking to the others.
    let clusters = try CanonicalJSON.read(ClusterHierarchyRecord.self, from: atlas.layoutClusters)
    for c in clusters.levels[0].clusters {
      let pages = (c.size + 99) / 100
      for p in 1 ... pages { #expect(files.contains("clusters/0-\(c.id)\(p == 1 ? "" : "-p\(p)").html")) }
      #expect(!files.contains("clusters/0-\(c.id)-p\(pages + 1).html"))
    }
    let page2 = try SiteFixture.text(atlas.site.appendingPathComponent("clusters/0-0-p2.html"))
    #expect(page2.contains("Features 101–200 of") && page2.contains("href=\"0-0.html\"") && page2.contains("aria-current=\"page\">2<"))
  }

  @Test("Without sae/training.json or steering, quality reads n/a and the steering page says so")
  func missingOptionalArtifacts() throws {
    var options = SyntheticAtlasOptions()
    options.features = 30
    options.clusters = [2, 4, 6]
    options.includeTraining = false
    options.includeSteering = false
    let (atlas, _) = try SiteFixture.atlas("optional", options: options)
    defer { try? FileManager.default.removeItem(at: atlas.root) }
    let index = try XMLPage(Data(contentsOf: atlas.siteIndex), name: "index").textContent()
    #expect(index.contains("FVUn/a") || index.contains("n/a"))
    #expect(index.contains("No SAE training record"))
    // FVU, L0 and CE loss recovered; "Dead" is the features stage's count, known without a training record.
    #expect(index.components(separatedBy: "n/a").count - 1 == 3)
    let run = try XMLPage(Data(contentsOf: atlas.site.appendingPathComponent("run.html")), name: "run").textContent()
    #expect(run.contains("sae/training.json is absent"))
    let steering = try SiteFixture.text(atlas.site.appendingPathComponent("steering.html"))
    #expect(steering.contains("no steering results"))
    #expect(!index.contains("Steering"))
  }

  @Test("Artifacts that disagree are reported, not rendered")
  func inconsistent() throws {
    var options = SyntheticAtlasOptions()
    options.features = 30
    options.clusters = [2, 4, 6]
    let (atlas, _) = try SiteFixture.atlas("inconsistent", options: options, render: false)
    defer { try? FileManager.default.removeItem(at: atlas.root) }
    var writer = SafeTensorsWriter()
    writer.add("x", floats: Array(repeating: 0, count: 29), shape: [29])
    writer.add("y", floats: Array(repeating: 0, count: 29), shape: [29])
    for level in 0 ..< 3 { writer.add("cluster_level_\(level)", int32s: Array(repeating: 0, count: 29), shape: [29]) }
    try writer.write(to: atlas.layoutPositions)
    #expect {
      try SiteRenderer(resources: SiteFixture.resources()).render(atlas: atlas)
    } throws: { error in
      guard case ArtifactError.malformed(let path, let reason) = error else { return false }
      return path.hasSuffix("layout/positions.safetensors") && reason.contains("29 points") && reason.contains("30 features")
    }
  }

  private func snapshot(_ directory: URL) throws -> [String: Data] {
    var out: [String: Data] = [:]
    for path in SiteFixture.files(under: directory) { out[path] = try Data(contentsOf: directory.appendingPathComponent(path)) }
    return out
  }
}

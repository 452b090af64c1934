import AtlasArtifacts
import Foundation
import Testing
import TestSupport

import AtlasSite

@Suite("Rendering a synthetic atlas")
struct RenderTests {
  @Test("Writes the index, one page per feature and cluster, the run and steering pages, assets and map data")
  func writesEveryPage() throws {
    let (atlas, report) = try SiteFixture.atlas("render-pages")
    defer { try? FileManager.default.removeItem(at: atlas.root) }
    let files = Set(SiteFixture.files(under: atlas.site))
    #expect(files.contains("index.html"))
    #expect(files.contains("run.html"))
    #expect(files.contains("steering.html"))
    for asset in ["assets/atlas.css", "assets/map.js", "assets/page.js", "assets/favicon.svg", "data/map-meta.js", "data/map-000.js"] {
      #expect(files.contains(asset), "missing \(asset)")
    }
    for i in 0 ..< 300 { #expect(files.contains("features/f\(String(format: "%03d", i)).html")) }
    #expect(files.filter { $0.hasPrefix("features/") }.count == 300)
    #expect(files.contains("clusters/0-0.html") && files.contains("clusters/2-47.html"))
    #expect(report?.features == 300)
    #expect(report?.clusters == 6 + 18 + 48)
    print("rendered \(report?.files ?? 0) files, \(report?.bytes ?? 0) bytes in \(report?.seconds ?? 0) s at \(atlas.site.path)")
  }
}

import AtlasArtifacts
import AtlasFixtures
import Foundation
import TestSupport
import Testing

import AtlasSite

/// Loads rendered atlases in headless Chromium through Playwright (Fixtures/browser_check.py): pages work
/// from file:// with no console errors and no network requests, search, hover and click work, and hostile
/// text never executes. Needs Python with `playwright` and Debian's `chromium`; without them the tests
/// fail and say what to install (CI has them), they never pass silently.
@Suite("In headless Chromium", .serialized)
struct BrowserTests {
  @Test("Index and feature pages load offline without errors; search, hover, click and zoom work", .timeLimit(.minutes(5)))
  func normalAtlas() throws {
    let (atlas, _) = try SharedAtlas.normal.get()
    let records = try SiteFixture.records(in: atlas)
    let feature = try #require(records.first { $0.index >= 40 && !$0.flags.contains(.dead) })
    let id = Naming(features: records.count).id(feature.index)
    let steered = try SteeringRecord.read(from: atlas.steeringRecord).features.first?.feature ?? 0
    let plan: [String: Any] = [
      "mode": "normal", "features": records.count,
      "search": ["query": feature.label.text, "expect": feature.index, "labels": [feature.label.text]],
      "idSearch": ["query": id, "page": "features/\(id).html"],
      "hover": ["feature": feature.index, "label": feature.label.text, "page": "features/\(id).html"],
      "pages": ["features/\(Naming(features: records.count).featureFile(steered))", "clusters/0-0.html", "clusters/2-3.html",
                "run.html", "steering.html"],
    ]
    let report = try BrowserCheck.run(site: atlas.site, plan: plan, screenshots: "normal")
    #expect(report.problems.isEmpty, "\(report.problems.joined(separator: "\n"))")
    #expect(report.points == records.count)
    #expect(report.screenshots.count >= 9)
  }

  @Test("Hostile text never executes and is displayed literally in the DOM", .timeLimit(.minutes(5)))
  func hostileAtlas() throws {
    let (atlas, _) = try SharedAtlas.hostile.get()
    let hostile = SyntheticContent.hostile
    let naming = Naming(features: 120)
    var literal: [String: [String]] = [:]
    var pages: [String] = []
    for (i, string) in hostile.enumerated() {
      let page = "features/\(naming.featureFile(i))"
      pages.append(page)
      literal[page] = [Markup.displayable(string), Markup.tokenText(string)]
    }
    for level in 0 ..< 3 {
      pages.append("clusters/\(level)-0.html")
      literal["clusters/\(level)-0.html"] = [Markup.displayable(hostile[level])]
    }
    pages += ["run.html", "steering.html"]
    literal["run.html"] = hostile.map(Markup.displayable)
    literal["steering.html"] = [hostile[8], hostile[0]]
    literal["index.html"] = [hostile[0], "Atlas </title><script>alert(1)</script>"]
    let plan: [String: Any] = [
      "mode": "hostile", "features": 120,
      "search": ["query": "<script>", "expect": 0, "labels": [hostile[0]]],
      "hover": ["feature": 1, "label": hostile[1], "page": "features/\(naming.featureFile(1))"],
      "hostileTooltip": ["feature": 0, "label": hostile[0]],
      "pages": pages, "literal": literal,
    ]
    let report = try BrowserCheck.run(site: atlas.site, plan: plan, screenshots: "hostile")
    #expect(report.problems.isEmpty, "\(report.problems.joined(separator: "\n"))")
  }
}


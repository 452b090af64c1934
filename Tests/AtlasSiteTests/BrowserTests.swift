import AtlasArtifacts
import Foundation
import Testing
import TestSupport

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

/// Runs Fixtures/browser_check.py and decodes its report.
enum BrowserCheck {
  struct Report: Decodable {
    var problems: [String]
    var points: Int?
    var screenshots: [String]
    var timings: [String: Double]
  }

  /// Screenshots go to `.build/site-screenshots/<name>/` under the package (or $FEATURE_ATLAS_SCREENSHOTS).
  static func run(site: URL, plan: [String: Any], screenshots name: String) throws -> Report {
    let python = try findPython()
    let script = try #require(Bundle.module.url(forResource: "browser_check", withExtension: "py", subdirectory: "Fixtures"))
    let shots = (ProcessInfo.processInfo.environment["FEATURE_ATLAS_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
      ?? TestPaths.packageRoot.appendingPathComponent(".build/site-screenshots")).appendingPathComponent(name)
    try? FileManager.default.removeItem(at: shots)
    let planFile = FileManager.default.temporaryDirectory.appendingPathComponent("browser-plan-\(name)-\(getpid()).json")
    try JSONSerialization.data(withJSONObject: plan, options: [.sortedKeys]).write(to: planFile)
    defer { try? FileManager.default.removeItem(at: planFile) }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [script.path, "--site", site.path, "--plan", planFile.path, "--screenshots", shots.path]
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let stdout = output.fileHandleForReading.readDataToEndOfFile()
    let stderr = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    if process.terminationStatus == 2 {
      throw BrowserUnavailable(reason: String(decoding: stdout + stderr, as: UTF8.self))
    }
    guard let report = try? JSONDecoder().decode(Report.self, from: stdout) else {
      throw BrowserUnavailable(reason: "browser_check.py exited with \(process.terminationStatus) and no report:\n"
        + String(decoding: stdout + stderr, as: UTF8.self))
    }
    print("screenshots (\(name)): \(shots.path); timings: \(report.timings)")
    return report
  }

  /// `$FEATURE_ATLAS_PYTHON`, else `.venv/bin/python3` under the package, else `python3` on the PATH —
  /// whichever can `import playwright`.
  static func findPython() throws -> String {
    var candidates: [String] = []
    if let explicit = ProcessInfo.processInfo.environment["FEATURE_ATLAS_PYTHON"] { candidates.append(explicit) }
    candidates.append(TestPaths.packageRoot.appendingPathComponent(".venv/bin/python3").path)
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
      candidates.append("\(directory)/python3")
    }
    var tried: [String] = []
    for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: candidate)
      process.arguments = ["-c", "import playwright.sync_api"]
      process.standardOutput = Pipe()
      process.standardError = Pipe()
      try process.run()
      process.waitUntilExit()
      if process.terminationStatus == 0 { return candidate }
      tried.append(candidate)
    }
    throw BrowserUnavailable(reason: "no Python with Playwright (tried \(tried.isEmpty ? "nothing executable" : tried.joined(separator: ", "))). "
      + "Install it with `pip install playwright` (no browser download needed: the test uses Debian's chromium at "
      + "/usr/lib/chromium/chromium, or $FEATURE_ATLAS_CHROMIUM), or point $FEATURE_ATLAS_PYTHON at an interpreter that has it.")
  }
}

struct BrowserUnavailable: Error, CustomStringConvertible {
  var reason: String
  var description: String { "the browser tests cannot run: \(reason)" }
}

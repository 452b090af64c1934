import ArgumentParser
import AtlasArtifacts
import AtlasFixtures
import AtlasSite
import Foundation

/// `atlas-bench site [--features 16384,65536] [--keep DIR] [--no-browser] [--python PATH]`
/// `atlas-bench site --atlas DIR` re-renders an existing atlas (for profiling).
///
/// Generates synthetic atlases (AtlasSite's `SyntheticAtlas`: 10 top windows, 4 quantile and 5 interval
/// groups of 2 windows, 24 tokens each), renders them and reports render time, index.html size, total
/// size and the time headless Chromium takes to load the index and draw every point (through the
/// Playwright script of the AtlasSite tests, when Python with Playwright is available).
struct BenchSite: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "site", abstract: "Render synthetic atlases; render time, sizes, Chromium load (or re-render --atlas DIR).")

  @Option(help: ArgumentHelp("Feature counts of the synthetic atlases, comma-separated.", valueName: "n,m"))
  var features = FeatureCounts([16_384, 65_536])
  @Option(help: ArgumentHelp("Keep the synthetic atlases in this folder (default: a temporary one, deleted).", valueName: "dir"))
  var keep: String?
  @Option(help: ArgumentHelp("Re-render this existing atlas instead (for profiling).", valueName: "dir")) var atlas: String?
  @Flag(name: .customLong("no-browser"), help: "Skip the headless Chromium load.") var noBrowser = false
  @Option(help: ArgumentHelp("Python with Playwright for the Chromium load (default: $FEATURE_ATLAS_PYTHON, else .venv/bin/python3, else python3).", valueName: "python"))
  var python: String?

  /// `--features 16384,65536`: positive counts, comma-separated.
  struct FeatureCounts: ExpressibleByArgument {
    var counts: [Int]
    init(_ counts: [Int]) { self.counts = counts }
    init?(argument: String) {
      let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
      counts = parts.compactMap { $0 }
    }
    var defaultValueDescription: String { counts.map(String.init).joined(separator: ",") }
  }

  func run() throws {
    let sizes = features.counts
    let keep = self.keep.map { URL(fileURLWithPath: $0) }
    let base = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("atlas-bench-site-\(getpid())")
    let resources = try SiteResources.locate()
    if let existing = atlas {
      let cpu = Self.cpuSeconds()
      let report = try SiteRenderer(resources: resources).render(atlas: AtlasDirectory(URL(fileURLWithPath: existing)))
      print(String(format: "rendered %d features in %.1f s wall, %.1f s CPU (%d files, %.1f MB); ", report.features, report.seconds,
                   Self.cpuSeconds() - cpu, report.files, Double(report.bytes) / 1e6) + Self.phases(report))
      return
    }
    print("resources: \(resources.templates.deletingLastPathComponent().path); machine load: \(Self.loadAverage())")
    for n in sizes {
      let root = base.appendingPathComponent("atlas-\(n)")
      try? FileManager.default.removeItem(at: root)
      var synthetic = SyntheticAtlasOptions()
      synthetic.features = n
      synthetic.featuresPerShard = 256
      synthetic.clusters = [12, max(24, n / 256), max(48, n / 48)]
      synthetic.steeredFeatures = 8
      synthetic.windowStarts = false      // every example's text inline: an upper bound (a real atlas shares its windows)
      var start = Date()
      let atlas = try SyntheticAtlas.write(to: root, options: synthetic)
      let generated = Date().timeIntervalSince(start)
      start = Date()
      let cpu = Self.cpuSeconds()
      let report = try SiteRenderer(resources: resources).render(atlas: atlas)
      let rendered = Date().timeIntervalSince(start)
      print(String(format: "%6d features: generated in %.1f s; rendered %d pages (%d files, %.1f MB) in %.1f s wall, %.1f s CPU; index.html %.2f MB (%d of %d points inline, %d map chunks)",
                   n, generated, report.pages, report.files, Double(report.bytes) / 1e6, rendered, Self.cpuSeconds() - cpu,
                   Double(report.indexBytes) / 1e6, report.staticMapPoints, n, report.mapChunks))
      print("        phases: " + Self.phases(report))
      if !noBrowser {
        print("        " + Self.browserLoad(site: atlas.site, features: n, python: python))
      }
      if keep == nil { try? FileManager.default.removeItem(at: root) }
    }
    if keep == nil { try? FileManager.default.removeItem(at: base) }
    print("machine load after: \(Self.loadAverage())")
  }

  /// Loads index.html in headless Chromium via the tests' Playwright script; reports load and ready times.
  private static func browserLoad(site: URL, features: Int, python: String?) -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let script = root.appendingPathComponent("Tests/AtlasSiteTests/Fixtures/browser_check.py")
    let interpreter = python ?? ProcessInfo.processInfo.environment["FEATURE_ATLAS_PYTHON"]
      ?? (FileManager.default.fileExists(atPath: root.appendingPathComponent(".venv/bin/python3").path)
        ? root.appendingPathComponent(".venv/bin/python3").path : "/usr/bin/env")
    let plan = FileManager.default.temporaryDirectory.appendingPathComponent("site-bench-plan-\(getpid()).json")
    let shots = FileManager.default.temporaryDirectory.appendingPathComponent("site-bench-shots-\(getpid())")
    defer { try? FileManager.default.removeItem(at: plan); try? FileManager.default.removeItem(at: shots) }
    do {
      try Data("{\"mode\": \"normal\", \"features\": \(features), \"loadOnly\": true}".utf8).write(to: plan)
      let process = Process()
      process.executableURL = URL(fileURLWithPath: interpreter)
      process.arguments = (interpreter == "/usr/bin/env" ? ["python3"] : []) + [script.path, "--site", site.path, "--plan", plan.path, "--screenshots", shots.path]
      let output = Pipe()
      process.standardOutput = output
      process.standardError = Pipe()
      try process.run()
      let data = output.fileHandleForReading.readDataToEndOfFile()
      process.waitUntilExit()
      guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return "Chromium: no report" }
      if let problem = json["environment"] as? String { return "Chromium: not measured (\(problem))" }
      let timings = json["timings"] as? [String: Double] ?? [:]
      let problems = json["problems"] as? [String] ?? []
      return String(format: "Chromium: index.html load event %.2f s, all %d points drawn after %.2f s%@",
                    timings["indexLoad"] ?? .nan, json["points"] as? Int ?? 0, timings["indexReady"] ?? .nan,
                    problems.isEmpty ? "" : "; problems: \(problems.prefix(3))")
    } catch {
      return "Chromium: not measured (\(error))"
    }
  }

  private static func phases(_ report: SiteReport) -> String {
    report.phases.map { String(format: "%@ %.1f s", $0.name, $0.seconds) }.joined(separator: ", ")
  }

  /// User + system CPU time of this process so far (both cores count).
  private static func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
  }

  private static func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "n/a"
  }
}

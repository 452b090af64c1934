import Foundation

/// Runs Tests/AtlasSiteTests/Fixtures/browser_check.py (Playwright driving headless Chromium) and decodes its report.
public enum BrowserCheck {
  public struct Report: Decodable {
    public var problems: [String]
    public var points: Int?
    public var screenshots: [String]
    public var timings: [String: Double]
  }

  /// Screenshots go to `.build/site-screenshots/<name>/` under the package (or $FEATURE_ATLAS_SCREENSHOTS).
  public static func run(site: URL, plan: [String: Any], screenshots name: String) throws -> Report {
    let python = try findPython()
    let script = TestPaths.packageRoot.appendingPathComponent("Tests/AtlasSiteTests/Fixtures/browser_check.py")
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

  /// Loads each page in headless Chromium, lets its scripts draw it, and writes the document as XML
  /// (`XMLSerializer`) to the same relative path under `into`: what the tests of script-drawn content read.
  /// Throws if a page logs an error, requests the network or calls a dialog.
  /// For the pages in `downloads`, what the JSON button saves goes to `<page>.json` beside it.
  public static func draw(site: URL, pages: [String], into: URL, downloads: [String] = []) throws {
    let report = try run(site: site, plan: ["dump": ["pages": pages, "out": into.path, "json": downloads]], screenshots: "drawn-\(getpid())")
    guard report.problems.isEmpty else {
      throw BrowserUnavailable(reason: "drawing the pages failed:\n" + report.problems.joined(separator: "\n"))
    }
  }

  /// `$FEATURE_ATLAS_PYTHON`, else `.venv/bin/python3` under the package, else `python3` on the PATH —
  /// whichever can `import playwright`.
  public static func findPython() throws -> String {
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

public struct BrowserUnavailable: Error, CustomStringConvertible {
  public var reason: String
  public var description: String { "the browser tests cannot run: \(reason)" }
}

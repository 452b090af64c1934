import AtlasArtifacts
import AtlasBriefing
import AtlasSite
import Foundation

/// `feature-atlas brief`: the policymaker briefing of an atlas. AtlasBriefing writes the one-file XHTML
/// document from the artifacts; this stage writes it, then prints the PDF with headless Chromium and makes
/// the PDF's bytes reproducible (dates set to the atlas's createdAt).
public enum BriefStage {
  public struct Options: Sendable {
    public var atlas: AtlasDirectory
    /// Where briefing.html and briefing.pdf go; nil: `<atlas>/briefing/`.
    public var output: URL?
    /// Topic words from the command line (replace the configured ones).
    public var topics: [String]
    /// `atlas.yaml` given with --config (its `briefing:` section applies on top of the atlas's saved one).
    public var configurationFile: URL?
    public var page: PageSize?
    /// Site resources (templates/); nil finds them like `render` does.
    public var resources: URL?
    /// Skip the PDF.
    public var pdf: Bool
    /// The Chromium binary; nil: $FEATURE_ATLAS_CHROMIUM, then chromium, chromium-browser, google-chrome on the PATH.
    public var chromium: String?

    public init(atlas: AtlasDirectory, output: URL? = nil, topics: [String] = [], configurationFile: URL? = nil, page: PageSize? = nil,
                resources: URL? = nil, pdf: Bool = true, chromium: String? = nil) {
      self.atlas = atlas; self.output = output; self.topics = topics; self.configurationFile = configurationFile
      self.page = page; self.resources = resources; self.pdf = pdf; self.chromium = chromium
    }
  }

  public struct Report: Sendable {
    public var html: URL
    public var htmlBytes: Int
    public var pdf: URL?
    public var pdfPages: Int
    /// Why there is no PDF (Chromium missing or failed) and how to get one.
    public var pdfProblem: String?
    public var topic: String
    public var topicFeatures: Int
    public var unmatchedTopics: [String]
    public var seconds: Double
    public var printSeconds: Double
  }

  public static func run(_ options: Options, progress: any ProgressSink) throws -> Report {
    let start = Date()
    let atlas = options.atlas
    // The briefing goes into the atlas (by default): never while another command writes to it.
    let lock = try AtlasLock(atlas: atlas, command: "feature-atlas brief")
    defer { withExtendedLifetime(lock) {} }
    var configuration = try configuration(for: options)
    if let page = options.page { configuration.page = page }
    let output = (options.output ?? atlas.root.appendingPathComponent("briefing")).standardizedFileURL
    try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
    let siteLink = FileManager.default.fileExists(atPath: atlas.siteIndex.path)
      ? relativePath(from: output, to: atlas.site) : nil
    let request = BriefingRequest(configuration: configuration, topics: options.topics,
                                  rebuild: try rebuildCommands(options, configuration: configuration),
                                  siteLink: siteLink, generator: "feature-atlas \(FeatureAtlasVersion.current)")
    progress.log("reading the atlas")
    let briefing = try Briefing(atlas: atlas, request: request)
    let resources = try SiteResources.locate(explicit: options.resources)
    let html = try briefing.html(request, links: true, resources: resources)
    let htmlURL = output.appendingPathComponent("briefing.html")
    try AtomicFile.write(html, to: htmlURL)
    let topic = briefing.topicReport(request)
    var report = Report(html: htmlURL, htmlBytes: html.utf8.count, pdf: nil, pdfPages: 0, pdfProblem: nil, topic: topic.name,
                        topicFeatures: topic.features, unmatchedTopics: topic.unmatched, seconds: 0, printSeconds: 0)
    if options.pdf {
      let printStart = Date()
      let pdfURL = output.appendingPathComponent("briefing.pdf")
      if let chromium = findChromium(options.chromium) {
        progress.log("printing the PDF with \(chromium)")
        // Printed from a copy without links: Chromium would write a relative link as an absolute file:// path.
        let printable = try briefing.html(request, links: false, resources: resources)
        let stamped = try agreedPrint(printable, chromium: chromium, in: output, timestamp: briefing.createdAt, progress: progress)
        try AtomicFile.write(stamped, to: pdfURL)
        report.pdf = pdfURL
        report.pdfPages = PDFStamp.pageCount(stamped)
      } else {
        report.pdfProblem = "no Chromium found (looked for $FEATURE_ATLAS_CHROMIUM, chromium, chromium-browser, google-chrome); "
          + "install it (`apt-get install chromium`) and run this command again, or open \(htmlURL.path) in a browser and print it to PDF"
      }
      report.printSeconds = Date().timeIntervalSince(printStart)
    }
    report.seconds = Date().timeIntervalSince(start)
    return report
  }

  // MARK: - Configuration

  /// The `briefing:` section: defaults, then what the atlas's atlas.json recorded, then the --config file.
  /// An atlas.json that is there but does not read, or whose configuration no longer decodes, is an error
  /// naming the file and the key: falling back to the default preset would brief with settings nobody chose.
  public static func configuration(for options: Options) throws -> BriefingConfiguration {
    var c = AtlasConfiguration.preset(.default)
    let record = options.atlas.atlasRecord
    if FileManager.default.fileExists(atPath: record.path) {
      let saved = try AtlasRecord.read(from: record)
      c = try AtlasConfiguration.load(json: saved.configuration, source: record.path)
    }
    if let file = options.configurationFile { c = try AtlasConfiguration.load(file: file, over: c) }
    return c.briefing
  }

  /// The commands that rebuild this atlas (its preset, when its configuration is one, else its recorded
  /// configuration as a YAML file) and this briefing.
  static func rebuildCommands(_ options: Options, configuration: BriefingConfiguration) throws -> [String] {
    let name = options.atlas.root.lastPathComponent
    var build = "feature-atlas build"
    var lines: [String] = []
    if let saved = try? AtlasRecord.read(from: options.atlas.atlasRecord) {
      var recorded = saved.configuration
      var model: String?
      if case .object(var o) = recorded {
        if case .string(let m)? = o["model"] { model = m }
        o["model"] = nil
        o["briefing"] = nil
        recorded = .object(o)
      }
      var preset: AtlasConfiguration.Preset?
      for candidate in AtlasConfiguration.Preset.allCases {
        if case .object(var o) = try JSONValue(encoding: AtlasConfiguration.preset(candidate)) {
          o["briefing"] = nil
          o["model"] = nil
          if JSONValue.object(o) == recorded { preset = candidate; break }
        }
      }
      if let preset {
        build += " --preset \(preset.rawValue)"
      } else {
        lines.append("# atlas.yaml: the configuration this atlas recorded (YAML reads JSON):")
        lines.append("#   python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[\"configuration\"], indent=1))' \(name)/atlas.json > atlas.yaml")
        build += " --config atlas.yaml"
      }
      if let model { build += " --model \(shellQuoted((model as NSString).lastPathComponent))" }
    }
    build += " --atlas \(shellQuoted(name))"
    lines.append(build)
    var brief = "feature-atlas brief --atlas \(shellQuoted(name))"
    for topic in options.topics { brief += " --topic \(shellQuoted(topic))" }
    if let file = options.configurationFile { brief += " --config \(shellQuoted(file.lastPathComponent))" }
    if let page = options.page { brief += " --page \(page.rawValue)" }
    lines.append(brief)
    return lines
  }

  static func shellQuoted(_ s: String) -> String {
    let safe = s.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:@+".contains($0) }
    return safe && !s.isEmpty ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  /// `to` relative to the directory `from` ("../site").
  package static func relativePath(from: URL, to: URL) -> String {
    let a = from.standardizedFileURL.resolvingSymlinksInPath().pathComponents
    let b = to.standardizedFileURL.resolvingSymlinksInPath().pathComponents
    var common = 0
    while common < a.count, common < b.count, a[common] == b[common] { common += 1 }
    let up = Array(repeating: "..", count: a.count - common)
    let parts = up + b[common...]
    return parts.isEmpty ? "." : parts.joined(separator: "/")
  }

  // MARK: - Printing

  static func findChromium(_ explicit: String?) -> String? {
    let environment = ProcessInfo.processInfo.environment
    var candidates: [String] = []
    if let explicit { candidates.append(explicit) }
    if let value = environment["FEATURE_ATLAS_CHROMIUM"], !value.isEmpty { candidates.append(value) }
    let path = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
    for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
      candidates += path.map { "\($0)/\(name)" }
    }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  public enum PrintError: Error, CustomStringConvertible {
    case failed(status: Int32, output: String)
    case timedOut(seconds: Int)

    public var description: String {
      switch self {
      case .failed(let status, let output):
        "Chromium could not print the briefing (exit status \(status)); briefing.html is written, print it from a browser instead. Chromium said:\n\(output)"
      case .timedOut(let seconds):
        "Chromium did not finish printing within \(seconds) s and was stopped; briefing.html is written, print it from a browser instead"
      }
    }
  }

  /// The stamped PDF that two prints agree on, byte for byte (at most three prints). Chromium is the one step
  /// whose bytes this tool does not write itself; the same page printed twice has always agreed here, but one
  /// CI run of the test suite saw two prints of one atlas differ. Keeping only a print that a second print
  /// repeats makes `brief` give the same PDF for the same atlas whatever one print does.
  static func agreedPrint(_ html: String, chromium: String, in directory: URL, timestamp: String,
                          progress: any ProgressSink) throws -> Data {
    var prints: [Data] = []
    for attempt in 1 ... 3 {
      let pdf = try PDFStamp.stamp(print(html, chromium: chromium, in: directory), timestamp: timestamp)
      if prints.contains(pdf) { return pdf }
      if attempt > 1 { progress.log("print \(attempt) of the PDF differs from the one before it") }
      prints.append(pdf)
    }
    progress.log("no two of three prints agree byte for byte: the PDF kept is the last, and another run may differ")
    return prints[prints.count - 1]
  }

  /// Prints `html` to PDF bytes with headless Chromium (its own throwaway profile, no network needed).
  static func print(_ html: String, chromium: String, in directory: URL, timeout: Int = 180) throws -> Data {
    let stamp = "\(getpid())-\(UInt64(Date().timeIntervalSince1970 * 1000))"
    let page = directory.appendingPathComponent(".briefing-print-\(stamp).html")
    let pdf = directory.appendingPathComponent(".briefing-print-\(stamp).pdf")
    let profile = FileManager.default.temporaryDirectory.appendingPathComponent("feature-atlas-chromium-\(stamp)")
    defer {
      try? FileManager.default.removeItem(at: page)
      try? FileManager.default.removeItem(at: pdf)
      try? FileManager.default.removeItem(at: profile)
    }
    try AtomicFile.write(html, to: page)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: chromium)
    process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                         "--user-data-dir=\(profile.path)", "--no-pdf-header-footer", "--print-to-pdf=\(pdf.path)",
                         page.absoluteURL.absoluteString]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    let collected = OutputCollector()
    output.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData) }
    try process.run()
    let deadline = Date().addingTimeInterval(Double(timeout))
    while process.isRunning && Date() < deadline { usleep(50_000) }
    if process.isRunning {
      process.terminate()
      process.waitUntilExit()
      output.fileHandleForReading.readabilityHandler = nil
      throw PrintError.timedOut(seconds: timeout)
    }
    process.waitUntilExit()
    output.fileHandleForReading.readabilityHandler = nil
    guard process.terminationStatus == 0, let data = try? Data(contentsOf: pdf), !data.isEmpty else {
      throw PrintError.failed(status: process.terminationStatus, output: String(collected.text.suffix(2000)))
    }
    return data
  }
}

/// Chromium's chatter, kept for the error message if printing fails.
final class OutputCollector: @unchecked Sendable {
  private var data = Data()
  private let lock = NSLock()
  func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }
  var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}

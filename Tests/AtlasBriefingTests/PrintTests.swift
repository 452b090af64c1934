import AtlasArtifacts
import AtlasBriefing
import AtlasPipeline
import Foundation
import TestSupport
import Testing

/// The PDF printed by headless Chromium and the page in a real browser. Needs Debian's `chromium`,
/// `pdftoppm` (poppler-utils) and, for the console check, Python with Playwright (`make setup` installs
/// all three); without them these tests fail and say what to install.
@Suite("Briefing PDF and browser", .serialized)
struct PrintTests {
  static let printed: Result<(AtlasDirectory, BriefStage.Report), Error> = Result {
    let atlas = try BriefingFixture.atlas("pdf")
    return (atlas, try BriefingFixture.brief(atlas, topics: ["london"], pdf: true))
  }

  static func tool(_ name: String) throws -> URL {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
      let url = URL(fileURLWithPath: "\(directory)/\(name)")
      if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    throw ToolMissing(name: name)
  }

  struct ToolMissing: Error, CustomStringConvertible {
    var name: String
    var description: String { "\(name) is not installed: `apt-get install -y \(name == "pdftoppm" ? "poppler-utils" : name)` (scripts/setup.sh does it)" }
  }

  @Test("Printing the same atlas twice gives byte-identical PDFs dated at the atlas's build", .timeLimit(.minutes(5)))
  func reproducible() throws {
    _ = try Self.tool("chromium")
    let (atlas, report) = try Self.printed.get()
    let pdf = try #require(report.pdf, "\(report.pdfProblem ?? "no PDF")")
    let first = try Data(contentsOf: pdf)
    let firstPage = try Data(contentsOf: pdf.deletingLastPathComponent().appendingPathComponent("briefing.html"))
    let again = try BriefingFixture.brief(atlas, topics: ["london"], pdf: true)
    let second = try Data(contentsOf: try #require(again.pdf))
    let secondPage = try Data(contentsOf: pdf.deletingLastPathComponent().appendingPathComponent("briefing.html"))
    #expect(firstPage == secondPage, "the briefing page itself differs between two runs")
    if first != second {
      // Keep both prints beside the atlas and say where they part, so a failure can be read.
      let kept = atlas.root.appendingPathComponent("unequal-prints")
      try FileManager.default.createDirectory(at: kept, withIntermediateDirectories: true)
      try first.write(to: kept.appendingPathComponent("first.pdf"))
      try second.write(to: kept.appendingPathComponent("second.pdf"))
      let a = [UInt8](first), b = [UInt8](second)
      let at = (0 ..< min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
      let context = { (d: Data) in String(decoding: d[max(0, at - 80) ..< min(d.count, at + 80)], as: UTF8.self).debugDescription }
      Issue.record("the prints differ (\(first.count) and \(second.count) bytes) first at byte \(at): \(context(first)) vs \(context(second)); both kept in \(kept.path)")
    }
    let record = try AtlasRecord.read(from: atlas.atlasRecord)
    let digits = String(record.createdAt.filter(\.isNumber).prefix(14))
    let text = String(decoding: first, as: UTF8.self)
    #expect(text.contains("/CreationDate (D:\(digits)"))
    #expect(text.contains("/ModDate (D:\(digits)"))
    #expect(!text.contains("file://"), "a link in the PDF would carry this machine's path")
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: pdf.deletingLastPathComponent().path).sorted()
    #expect(leftovers == ["briefing.html", "briefing.pdf"])
  }

  @Test("The PDF has 3 to 14 A4 pages and none is blank", .timeLimit(.minutes(5)))
  func pages() throws {
    let pdftoppm = try Self.tool("pdftoppm")
    let (_, report) = try Self.printed.get()
    let pdf = try #require(report.pdf, "\(report.pdfProblem ?? "no PDF")")
    #expect((3 ... 14).contains(report.pdfPages), "\(report.pdfPages) pages")
    let text = String(decoding: try Data(contentsOf: pdf), as: UTF8.self)
    #expect(text.contains("/MediaBox [0 0 594.95996 841.91998]"), "not A4")
    let images = try render(pdf, with: pdftoppm)
    #expect(images.count == report.pdfPages)
    for (k, page) in images.enumerated() {
      // Ink above the footer band: a page holding only its page number counts as blank.
      let ink = page.inkFraction(rows: 0 ..< page.height * 88 / 100)
      #expect(ink > 0.01, "page \(k + 1) is blank (ink \(ink))")
    }
  }

  @Test("US Letter is selectable", .timeLimit(.minutes(5)))
  func letter() throws {
    _ = try Self.tool("chromium")
    let atlas = try BriefingFixture.atlas("letter", site: false)
    let report = try BriefingFixture.brief(atlas, page: .letter, pdf: true)
    let text = String(decoding: try Data(contentsOf: try #require(report.pdf)), as: UTF8.self)
    #expect(text.contains("/MediaBox [0 0 612 792]"))
  }

  @Test("Chromium shows the page with no console error, no request and no script", .timeLimit(.minutes(5)))
  func browser() throws {
    let (_, report) = try Self.printed.get()
    let python = try BrowserCheck.findPython()
    let script = TestPaths.packageRoot.appendingPathComponent("Tests/AtlasBriefingTests/briefing_check.py")
    let shots = TestPaths.packageRoot.appendingPathComponent(".build/briefing-screenshots")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [script.path, "--page", report.html.path, "--screenshots", shots.path]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    #expect(process.terminationStatus == 0, "\(text)")
    #expect(text.contains("\"problems\": []"), "\(text)")
  }

  // MARK: - Pages as images

  struct Gray {
    var width: Int
    var height: Int
    var pixels: [UInt8]   // [height * width]
    func inkFraction(rows: Range<Int>) -> Double {
      var ink = 0
      for y in rows where y < height { for x in 0 ..< width where pixels[y * width + x] < 200 { ink += 1 } }
      return Double(ink) / Double(max(1, rows.count * width))
    }
  }

  /// Every page as an 8-bit grey image at 30 dpi (`pdftoppm -gray`, binary PGM).
  func render(_ pdf: URL, with pdftoppm: URL) throws -> [Gray] {
    let directory = try TestPaths.scratchDirectory("briefing-pages")
    defer { try? FileManager.default.removeItem(at: directory) }
    let (status, errors) = try runToCompletion(pdftoppm, ["-gray", "-r", "30", pdf.path, directory.appendingPathComponent("page").path])
    #expect(status == 0, "\(errors)")
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".pgm") }.sorted()
    return try files.map { try pgm(Data(contentsOf: directory.appendingPathComponent($0))) }
  }

  func pgm(_ data: Data) throws -> Gray {
    let bytes = [UInt8](data)
    var fields: [String] = []
    var i = 0
    while fields.count < 4 && i < bytes.count {
      while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
      var field = ""
      while i < bytes.count, !(bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09) {
        field.append(Character(Unicode.Scalar(bytes[i]))); i += 1
      }
      fields.append(field)
    }
    i += 1
    guard fields.count == 4, fields[0] == "P5", let w = Int(fields[1]), let h = Int(fields[2]), bytes.count - i >= w * h else {
      throw ToolMissing(name: "a readable PGM from pdftoppm (got header \(fields))")
    }
    return Gray(width: w, height: h, pixels: Array(bytes[i ..< i + w * h]))
  }
}

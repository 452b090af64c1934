import AtlasPipeline
import Foundation
import TestSupport
import Testing

/// `brief` keeps only a PDF that two prints agree on. A stand-in "Chromium" (a shell script) writes a tiny PDF
/// whose bytes depend on how many times it has been called, so the rule is checked without a browser.
@Suite("A PDF is kept only when two prints agree")
struct AgreedPrintTests {
  /// A script that answers `--print-to-pdf=FILE` with a PDF whose body is `body` evaluated in the shell,
  /// where `$n` is the number of this call (1, 2, …).
  static func fakeChromium(in directory: URL, body: String) throws -> URL {
    let script = directory.appendingPathComponent("fake-chromium")
    let text = """
      #!/bin/sh
      for a in "$@"; do case "$a" in --print-to-pdf=*) out="${a#--print-to-pdf=}";; esac; done
      n=$(cat "\(directory.path)/calls" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "\(directory.path)/calls"
      printf '%%PDF-1.4\\n1 0 obj << /Type /Page >> endobj\\n%% %s\\n' "\(body)" > "$out"

      """
    try text.write(to: script, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
    return script
  }

  final class Log: ProgressSink, @unchecked Sendable {
    var lines: [String] = []
    func log(_ line: String) { lines.append(line) }
    func progress(_ label: String, done: Int, total: Int, unit: String) {}
    func finish(_ label: String) {}
  }

  func brief(_ body: String) throws -> (pdf: String, calls: Int, log: [String]) {
    let atlas = try BriefingFixture.atlas("agreed", site: false)
    let bin = try TestPaths.scratchDirectory("fake-chromium")
    let chromium = try Self.fakeChromium(in: bin, body: body)
    let log = Log()
    let report = try BriefStage.run(BriefStage.Options(atlas: atlas, resources: TestPaths.packageRoot, pdf: true, chromium: chromium.path),
                                    progress: log)
    let pdf = String(decoding: try Data(contentsOf: try #require(report.pdf)), as: UTF8.self)
    let calls = Int(try String(contentsOf: bin.appendingPathComponent("calls"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
    return (pdf, calls ?? -1, log.lines)
  }

  @Test("Two agreeing prints: the PDF is theirs, printed twice")
  func agreeing() throws {
    let run = try brief("same")
    #expect(run.pdf.hasSuffix("% same\n"))
    #expect(run.calls == 2)
    #expect(!run.log.contains { $0.contains("differs") })
  }

  @Test("A first print that differs is dropped: the third print agrees with the second and is kept")
  func oneOff() throws {
    let run = try brief("$([ $n -eq 1 ] && echo odd || echo usual)")
    #expect(run.pdf.hasSuffix("% usual\n"))
    #expect(run.calls == 3)
    #expect(run.log.contains("print 2 of the PDF differs from the one before it"))
  }

  @Test("When no two of three prints agree, the last is kept and the log says another run may differ")
  func neverAgreeing() throws {
    let run = try brief("call $n")
    #expect(run.pdf.hasSuffix("% call 3\n"))
    #expect(run.calls == 3)
    #expect(run.log.contains { $0.hasPrefix("no two of three prints agree") })
  }
}

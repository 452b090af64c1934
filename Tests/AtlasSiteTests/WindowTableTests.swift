import AtlasArtifacts
import Foundation
import Testing

import AtlasSite

/// The site's shared window text (`data/windows.js`): each capture window's pieces written once, whatever
/// number of features cut examples from it.
@Suite("Shared window text")
struct WindowTableTests {
  /// The object literal of `window.atlasWindows = {...};` decoded.
  private func windows(_ script: Data) throws -> [String: [Any]] {
    let text = String(decoding: script, as: UTF8.self)
    let head = "window.atlasWindows = "
    #expect(text.hasPrefix(head))
    let body = try #require(text.dropFirst(head.count).components(separatedBy: ";\n").first)
    return try #require(try JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) as? [String: [Any]])
  }

  @Test("Examples cut from one window at different offsets share one copy of its text; an uncovered piece is null")
  func overlappingCuts() throws {
    let table = WindowTable()
    try table.add(window: 7, start: 2, pieces: [" the", " cat", " sat"])
    try table.add(window: 7, start: 3, pieces: [" cat", " sat", " on"])        // a second feature's cut
    try table.add(window: 7, start: 8, pieces: [" mat"])                       // pieces 6 and 7 never shown
    try table.add(window: 2, start: 0, pieces: ["a\nb", "</script>", "\u{202E}x"])
    let script = table.script(about: ["wiki": "encyclopedia </script> text"])
    let decoded = try windows(script)
    #expect(decoded.keys.sorted() == ["2", "7"])
    let seven = try #require(decoded["7"])
    #expect(seven.first as? Int == 2)
    #expect(seven.dropFirst().map { $0 as? String } == [" the", " cat", " sat", " on", nil, nil, " mat"])
    // Pieces keep their line breaks (the page shows them as ↵, the JSON keeps them); what cannot appear in
    // a page is made visible, and nothing can end the script.
    #expect(try #require(decoded["2"]).dropFirst().map { $0 as? String } == ["a\nb", "</script>", "‹RLO›x"])
    let text = String(decoding: script, as: UTF8.self)
    #expect(!text.contains("<") && !text.contains(">") && text.contains("window.atlasSources = {\"wiki\":"))
  }

  @Test("Two different texts for the same piece of a window are an error that says to rerun the features stage")
  func conflictingText() throws {
    let table = WindowTable()
    try table.add(window: 1, start: 0, pieces: ["a", "b"])
    #expect(throws: (any Error).self) { try table.add(window: 1, start: 1, pieces: ["c"]) }
    do { try table.add(window: 1, start: 1, pieces: ["c"]) } catch {
      #expect("\(error)".contains("window 1 has two texts at piece 1") && "\(error)".contains("rerun the features stage"))
    }
  }

  @Test("The same examples in any order give the same bytes")
  func deterministic() throws {
    let cuts: [(Int, Int, [String])] = [(5, 0, ["x", "y"]), (3, 4, ["p"]), (5, 1, ["y", "z"]), (40, 2, ["q", "r"])]
    let a = WindowTable(), b = WindowTable()
    for (w, s, p) in cuts { try a.add(window: w, start: s, pieces: p) }
    for (w, s, p) in cuts.reversed() { try b.add(window: w, start: s, pieces: p) }
    #expect(a.script(about: [:]) == b.script(about: [:]))
  }
}

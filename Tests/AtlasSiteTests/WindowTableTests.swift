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

  /// A window's pieces from its entry [first, text, lengths]: one length character a piece, U+0021 + its
  /// UTF-16 length, U+0020 for a piece no example covers.
  private func pieces(_ entry: [Any]?) throws -> (first: Int, pieces: [String?]) {
    let entry = try #require(entry)
    let first = try #require(entry[0] as? Int), text = try #require(entry[1] as? String), lengths = try #require(entry[2] as? String)
    var out: [String?] = [], units = Array(text.utf16)[...]
    for c in lengths.unicodeScalars {
      if c.value == 0x20 { out.append(nil); continue }
      let n = Int(c.value) - 0x21
      out.append(String(decoding: units.prefix(n), as: UTF16.self))
      units = units.dropFirst(n)
    }
    #expect(units.isEmpty)
    return (first, out)
  }

  @Test("Examples cut from one window at different offsets share one copy of its text; an uncovered piece is null")
  func overlappingCuts() throws {
    let table = WindowTable()
    try table.add(window: 7, start: 2, pieces: [" the", " cat", " sat"])
    try table.add(window: 7, start: 3, pieces: [" cat", " sat", " on"])        // a second feature's cut
    try table.add(window: 7, start: 8, pieces: [" mat"])                       // pieces 6 and 7 never shown
    try table.add(window: 2, start: 0, pieces: ["a\nb", "</script>", "\u{202E}x"])
    try table.add(window: 9, start: 0, pieces: ["😀", "", String(repeating: "\\", count: 60)])   // lengths 2, 0 and 60 ("\\")
    let script = table.script(about: ["wiki": "encyclopedia </script> text"])
    let decoded = try windows(script)
    #expect(decoded.keys.sorted() == ["2", "7", "9"])
    #expect(try pieces(decoded["9"]).pieces == ["😀", "", String(repeating: "\\", count: 60)])
    let seven = try pieces(decoded["7"])
    #expect(seven.first == 2)
    #expect(seven.pieces == [" the", " cat", " sat", " on", nil, nil, " mat"])
    // Pieces keep their line breaks (the page shows them as ↵, the JSON keeps them); what cannot appear in
    // a page is made visible, and nothing can end the script.
    #expect(try pieces(decoded["2"]).pieces == ["a\nb", "</script>", "‹RLO›x"])
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

import AtlasArtifacts
import Foundation

/// The data a feature page draws its body from: `data/features/fNNNNN.js`, one per feature, and
/// `data/windows.js`, the text of every example window once for the whole site.
///
/// A feature page shows about eighty example windows, and the features of an atlas cut them from the same
/// two or three thousand capture windows (on the default atlas 80 examples a feature, 2,127 windows in
/// all): written into each page, that text was two fifths of the site. So a page holds its header as
/// XHTML (title, description, evidence, statistics: what reads without JavaScript) and the rest as data:
/// each example as (window, first piece, length, its activations), the window's text shared. The
/// script (`assets/feature.js`) builds the sections with DOM calls (`textContent`, never markup from
/// data), and its JSON button saves the record with every example's tokens and values.
enum FeatureData {
  static func file(_ index: Int, naming: Naming) -> String { "data/features/" + naming.id(index) + ".js" }
  static let windowsFile = "data/windows.js"

  /// One example, written as an array (a page holds about fifty, and keys were half their bytes):
  /// `[w, s, n, p, d, o, f, l, v, k, id, t]` — its capture window `w`, first piece `s` in it (null when
  /// unknown: then its pieces are `t`), length `n`, peak offset `p`, document `d`, source `o` (an index into
  /// the page's `sources` names), the offsets `f` of the tokens that fired with their shading levels `l`
  /// (one digit each, 1…`TokenStrip.levels`) and values `v` as shown, the peak's value `k` when the peak
  /// did not fire, and the anchor `id` of an example a later band refers to. Trailing nulls are left out.
  struct Example: Encodable, Equatable {
    var w: Int
    var s: Int?
    var n: Int
    var p: Int
    var d: Int
    var o: Int
    var f: [Int]
    var l: String
    var v: [String]
    var k: String?
    var id: String?
    var t: [String]?

    func encode(to encoder: Encoder) throws {
      var c = encoder.unkeyedContainer()
      try c.encode(w); try c.encode(s); try c.encode(n); try c.encode(p); try c.encode(d); try c.encode(o)
      try c.encode(f); try c.encode(l); try c.encode(v)
      let tail: [Encodable?] = [k, id, t]
      let last = tail.lastIndex { $0 != nil } ?? -1
      for i in 0 ..< last + 1 {
        if let value = tail[i] { try c.encode(value) } else { try c.encodeNil() }
      }
    }
  }

  /// A band of samples: its title and caption, its examples, and the examples already shown above
  /// (`again`: anchor and peak text).
  struct Band: Encodable {
    var title: String
    var caption: String
    var examples: [Example]
    var again: [[String]]
  }

  /// The neighbourhood window: the point layer and where its image sits, the feature and its decoder
  /// neighbours (x, y, colour, id) in the window's 300 × 200 units.
  struct Minimap: Encodable {
    var layer: Int
    var image: [String]
    var me: [String]
    var points: [[String]]
  }

  /// What the page shows beyond its record. Neighbours are `[feature, label, swatch class]` beside the
  /// record's lists (same order); sources `[name, share of its firings, share of the text, over-represented]`
  /// in the order shown (each source's description is in `windows.js`); `sources` also names the examples'
  /// sources.
  struct Body: Encodable {
    var id: String
    var label: String
    var maximum: String
    var names: [String]
    var top: [Example]
    var quantiles: [Band]
    var intervals: [Band]
    var decoder: [[String]]
    var coactivation: [[String]]
    var minimap: Minimap
    var sources: [[String]]
    var over: String
  }

  struct Script: Encodable {
    var body: Body
    var record: FeatureRecord     // the download, its example windows' text left to `body` and windows.js
  }

  /// The JavaScript file of one feature. Window text goes to `windows` when the example knows where in its
  /// window it starts.
  static func script(_ r: FeatureRecord, input: SiteInput, windows: WindowTable) throws -> Data {
    let body = try self.body(r, input: input, windows: windows)
    var slim = r
    slim.topExamples = []
    func bounds(_ g: SampleGroup) -> SampleGroup {
      SampleGroup(title: g.title, lower: g.lower, upper: g.upper, share: g.share, examples: [])
    }
    slim.quantileSamples = r.quantileSamples.map(bounds)
    slim.intervalSamples = r.intervalSamples.map(bounds)
    let json: Data
    do { json = try CanonicalJSON.encodeCompact(Script(body: body, record: slim)) } catch {
      throw SiteError.inconsistentArtifacts("feature \(r.index) cannot be written as JSON: \(error)")
    }
    return Data("window.atlasFeature = ".utf8) + scriptSafe(json) + Data(";\n".utf8)
  }

  /// JSON made safe to load as a script: `<`, `>`, `&` and the two line separators only occur inside
  /// strings, where `\uXXXX` means the same.
  static func scriptSafe(_ json: Data) -> Data {
    let bytes = [UInt8](json)
    guard bytes.contains(where: { $0 == 0x3C || $0 == 0x3E || $0 == 0x26 || $0 == 0xE2 }) else { return json }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count + 64)
    var i = 0
    while i < bytes.count {
      let b = bytes[i]
      switch b {
      case 0x3C: out += Array("\\u003c".utf8)
      case 0x3E: out += Array("\\u003e".utf8)
      case 0x26: out += Array("\\u0026".utf8)
      case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
        out += Array((bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
        i += 2
      default: out.append(b)
      }
      i += 1
    }
    return Data(out)
  }

  static func body(_ r: FeatureRecord, input: SiteInput, windows: WindowTable) throws -> Body {
    let naming = input.naming
    let scale = r.maxActivation > 0 ? r.maxActivation : (r.topExamples.first?.activations.max() ?? 1)
    // Each example is shown once, where it first appears (top activations, then the quantile bands, then
    // the interval bands): a band that sampled examples already on the page lists them by their peaks.
    var seen: [WindowKey: Int] = [:]
    for w in r.topExamples + (r.quantileSamples + r.intervalSamples).flatMap(\.examples) { seen[WindowKey(w), default: 0] += 1 }
    var shown: [WindowKey: String] = [:]
    var names: [String] = []
    func source(_ name: String) -> Int {
      if let i = names.firstIndex(of: name) { return i }
      names.append(name)
      return names.count - 1
    }
    func example(_ w: ExampleWindow, id: String?) throws -> Example {
      let safe = scale > 0 && scale.isFinite ? scale : 1
      var fired: [Int] = [], level = "", values: [String] = []
      for (k, value) in w.activations.enumerated() where k < w.tokens.count && value > 0 && value.isFinite {
        fired.append(k)
        level += String(TokenStrip.level(value, scale: safe))
        values.append(Format.activation(value))
      }
      let peak = w.peak >= 0 && w.peak < w.activations.count ? w.activations[w.peak] : 0
      let peakFired = w.peak >= 0 && w.peak < w.tokens.count && peak > 0 && peak.isFinite
      var e = Example(w: w.window, s: nil, n: w.tokens.count, p: w.peak, d: w.document, o: source(Markup.displayable(w.source)),
                      f: fired, l: level, v: values, k: peakFired ? nil : Format.activation(peak), id: id, t: nil)
      if let start = w.start, start >= 0, w.window >= 0 {
        try windows.add(window: w.window, start: start, pieces: w.tokens)
        e.s = start
      } else {
        e.t = w.tokens.map(Markup.displayable)
      }
      return e
    }
    func band(_ list: [ExampleWindow]) throws -> (examples: [Example], again: [[String]]) {
      var out: [Example] = [], again: [[String]] = []
      for w in list {
        let key = WindowKey(w)
        if let anchor = shown[key] {
          let peak = w.peak >= 0 && w.peak < w.activations.count ? w.activations[w.peak] : 0
          let token = w.peak >= 0 && w.peak < w.tokens.count ? Markup.tokenText(w.tokens[w.peak]) : ""
          again.append([anchor, "peak \(Format.activation(peak)) on “\(token)”"])
          continue
        }
        var anchor: String?
        if (seen[key] ?? 0) > 1 {
          anchor = "e\(shown.count)"
          shown[key] = anchor
        }
        out.append(try example(w, id: anchor))
      }
      return (out, again)
    }
    let top = try band(r.topExamples).examples
    func group(_ g: SampleGroup) throws -> Band {
      let (examples, again) = try band(g.examples)
      return Band(title: Markup.displayable(g.title),
                  caption: "activations \(Format.activation(g.lower))–\(Format.activation(g.upper)) · \(Format.percent(g.share)) of firings",
                  examples: examples, again: again)
    }
    let quantiles = try r.quantileSamples.map(group)
    let intervals = try r.intervalSamples.map(group)

    func link(_ n: Neighbour) -> [String] {
      guard n.feature >= 0, n.feature < input.summaries.count else { return [] }
      return [naming.id(n.feature), Markup.displayable(input.summaries[n.feature].label.text),
              Palette.swatchClass(cluster: input.map.assignment.first?[n.feature] ?? -1)]
    }
    let over = input.sources.overRepresented(r.sourceShares)
    let sources = r.sourceShares.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { name, share in
      [Markup.displayable(name), Format.percent(share), input.sources.textShare[name].map(Format.percent) ?? "n/a"]
    }
    return Body(
      id: naming.id(r.index), label: Markup.displayable(r.displayName), maximum: Format.activation(r.maxActivation), names: names,
      top: top, quantiles: quantiles, intervals: intervals,
      decoder: r.decoderNeighbours.map(link), coactivation: r.coactivationNeighbours.map(link),
      minimap: MapSVG.neighbourhoodData(feature: r.index,
                                        neighbours: r.decoderNeighbours.map(\.feature).filter { $0 >= 0 && $0 < input.map.count },
                                        input: input),
      sources: sources, over: over.map { Markup.displayable($0.name) } ?? "")
  }
}

/// The text of every capture window that some example shows, gathered while the feature pages are
/// written (from several threads) and written once as `data/windows.js`: `window.atlasWindows = {"id":
/// [first, text, lengths], …}` by window id. `text` is the pieces from `first` on, joined; `lengths` holds
/// one character per piece, U+0021 + its length in UTF-16 units (U+0020 for a piece no example covers).
/// Two strings a window rather than a string a piece: a page parses the file in 40 ms instead of 70. Pieces are stored as
/// they are (`displayable`); the page shows their whitespace (`tokenText`) and its JSON keeps it.
package final class WindowTable: @unchecked Sendable {
  static let unknown: Unicode.Scalar = " "
  static let lengthBase: UInt32 = 0x21
  /// Longer pieces than this would need surrogate code points as lengths; display pieces are a few characters.
  static let longest = 0xD000

  package init() {}
  private var windows: [Int: [Int: String]] = [:]
  private let lock = NSLock()

  package func add(window: Int, start: Int, pieces: [String]) throws {
    try lock.withLock {
      for (k, piece) in pieces.enumerated() {
        let shown = Markup.displayable(piece)
        if let old = windows[window]?[start + k] {   // most pieces are known: another feature showed them
          guard old == shown else {
            throw SiteError.inconsistentArtifacts(
              "window \(window) has two texts at piece \(start + k) (“\(old)” and “\(shown)”) in the features' examples: rerun the features stage")
          }
          continue
        }
        guard shown.utf16.count <= WindowTable.longest else {
          throw SiteError.inconsistentArtifacts("window \(window) has a piece of \(shown.utf16.count) characters (at most \(WindowTable.longest))")
        }
        windows[window, default: [:]][start + k] = shown   // in place: no copy of the window's pieces
      }
    }
  }

  /// `about`: each corpus source's description, shown in the pages' "Where it fires" tables.
  package func script(about: [String: String]) -> Data {
    let table = lock.withLock { windows }
    var out = "window.atlasWindows = {"
    for (n, w) in table.keys.sorted().enumerated() {
      guard let known = table[w], let first = known.keys.min(), let last = known.keys.max() else { continue }
      var text = "", lengths = String.UnicodeScalarView()
      for k in first ... last {
        guard let piece = known[k] else { lengths.append(WindowTable.unknown); continue }
        text += piece
        lengths.append(Unicode.Scalar(WindowTable.lengthBase + UInt32(min(piece.utf16.count, WindowTable.longest))) ?? "?")
      }
      out += (n > 0 ? ",\"" : "\"") + "\(w)\":[\(first),\(Markup.jsString(text)),\(Markup.jsString(String(lengths)))]"
    }
    out += "};\nwindow.atlasSources = {"
    out += about.keys.sorted().map { Markup.jsString($0) + ":" + Markup.jsString(about[$0] ?? "") }.joined(separator: ",")
    return Data((out + "};\n").utf8)
  }
}

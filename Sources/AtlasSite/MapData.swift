import AtlasArtifacts
import Foundation

/// The map's data for the browser, as JavaScript files loaded with `<script src>` (pages opened from
/// `file://` cannot `fetch()`): `data/map-meta.js` (clusters, palette, chunk count) and
/// `data/map-NNN.js` chunks of `chunkSize` features (positions, clusters, labels, top tokens).
/// Strings are written with `Markup.jsString`, so no data can end the script or the string.
enum MapData {
  static func metaFile() -> String { "data/map-meta.js" }
  static func chunkFile(_ k: Int) -> String {
    let digits = String(k)
    return "data/map-" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits + ".js"
  }

  static func chunkCount(features: Int, chunkSize: Int) -> Int { (features + chunkSize - 1) / max(1, chunkSize) }

  static func meta(_ input: SiteInput, chunkSize: Int, staticPoints: Int) -> String {
    var out = "FA.meta({"
    out += "\"n\":\(input.map.count),\"chunkSize\":\(chunkSize),\"chunks\":\(chunkCount(features: input.map.count, chunkSize: chunkSize)),"
    out += "\"width\":\(SVG.coordinate(MapGeometry.width)),\"height\":\(SVG.coordinate(MapGeometry.height)),"
    out += "\"staticPoints\":\(staticPoints),\"idWidth\":\(input.naming.width),"
    out += "\"palette\":[" + Palette.categorical.map(Markup.jsString).joined(separator: ",") + "],"
    let names = sourceNames(input)
    out += "\"sources\":[" + names.map(Markup.jsString).joined(separator: ",") + "],"
    out += "\"about\":[" + names.map { Markup.jsString(input.sources.about[$0] ?? "") }.joined(separator: ",") + "],"
    out += "\"unclustered\":\(Markup.jsString(Palette.unclustered)),\"levels\":["
    out += input.hierarchy.levels.enumerated().map { level, record in
      var s = "{\"name\":\(Markup.jsString(record.name)),\"clusters\":["
      s += record.clusters.map { c in
        let (x, y) = input.map.project(x: c.x, y: c.y)
        return "{\"label\":\(Markup.jsString(c.label)),\"x\":\(SVG.coordinate(x)),\"y\":\(SVG.coordinate(y)),\"size\":\(c.size),\"parent\":\(c.parent ?? -1)}"
      }.joined(separator: ",")
      return s + "]}"
    }.joined(separator: ",")
    out += "]});\n"
    return out
  }

  static func chunk(_ k: Int, input: SiteInput, chunkSize: Int) -> String {
    let start = k * chunkSize
    let end = min(input.map.count, start + chunkSize)
    let range = start ..< end
    let map = input.map
    var out = "FA.chunk(\(k),{\"start\":\(start),"
    out += "\"x\":[" + range.map { SVG.coordinate(Double(map.u[$0])) }.joined(separator: ",") + "],"
    out += "\"y\":[" + range.map { SVG.coordinate(Double(map.v[$0])) }.joined(separator: ",") + "],"
    out += "\"c\":[" + map.assignment.map { ids in "[" + range.map { String(ids[$0]) }.joined(separator: ",") + "]" }.joined(separator: ",") + "],"
    out += "\"d\":[" + range.map { Markup.jsString(Format.percent(input.summaries[$0].density)) }.joined(separator: ",") + "],"
    out += "\"m\":[" + range.map { Markup.jsString(Format.activation(input.summaries[$0].maxActivation)) }.joined(separator: ",") + "],"
    out += "\"l\":[" + range.map { Markup.jsString(input.summaries[$0].label.text) }.joined(separator: ",") + "],"
    out += "\"t\":[" + range.map { Markup.jsString(topTokens(input.summaries[$0])) }.joined(separator: ",") + "],"
    out += "\"w\":[" + range.map { flags(input.summaries[$0]) }.joined(separator: ",") + "],"
    out += "\"k\":[" + range.map { Markup.jsString(searchWords(input.summaries[$0])) }.joined(separator: ",") + "],"
    // For colouring the map: density as a number, the evidence of the name shown (balanced accuracy; -1 too
    // few held-out firings, -2 untested) and the over-represented source (index into meta's sources, or -1).
    out += "\"v\":[" + range.map { String(format: "%.3g", input.summaries[$0].density) }.joined(separator: ",") + "],"
    out += "\"e\":[" + range.map { i -> String in
      guard let e = input.summaries[i].evidence else { return "-2" }
      return EvidenceGrade.insufficient(e) ? "-1" : String(format: "%.3f", e.balancedAccuracy)
    }.joined(separator: ",") + "],"
    let sourceIndex = Dictionary(uniqueKeysWithValues: sourceNames(input).enumerated().map { ($1, $0) })
    out += "\"s\":[" + range.map { i in input.summaries[i].overSource.flatMap { sourceIndex[$0] }.map(String.init) ?? "-1" }.joined(separator: ",") + "],"
    out += "\"n\":[" + range.map { i in
      "[" + input.summaries[i].neighbours.filter { $0 >= 0 && $0 < input.map.count }.map(String.init).joined(separator: ",") + "]"
    }.joined(separator: ",") + "]"
    out += "});\n"
    return out
  }

  /// The corpus sources in atlas.json order, then any other source a feature names (sorted), each once.
  static func sourceNames(_ input: SiteInput) -> [String] {
    var names: [String] = []
    var seen = Set<String>()
    for s in input.record.corpus?.sources ?? [] where seen.insert(s.name).inserted { names.append(s.name) }
    let extra = Set(input.summaries.compactMap(\.overSource)).subtracting(seen).sorted()
    return names + extra
  }

  /// The first few top tokens as one string for search and the tooltip.
  static func topTokens(_ summary: FeatureSummary) -> String {
    summary.topTokens.prefix(4).map { Markup.tokenText($0.token) }.joined(separator: " · ")
  }

  /// The words a search by meaning matches a feature on: the words of its label and of its most frequent
  /// tokens, lower-cased, unique, space-separated (the search stems them and the query alike).
  static func searchWords(_ summary: FeatureSummary) -> String {
    var seen = Set<String>()
    var out: [String] = []
    let texts = [summary.label.text] + summary.topTokens.prefix(8).map(\.token)
    for text in texts {
      var word = ""
      for ch in text.lowercased() + " " {
        if ch.isLetter { word.append(ch); continue }
        if word.count >= 3, seen.insert(word).inserted { out.append(word) }
        word = ""
      }
    }
    return out.joined(separator: " ")
  }

  /// Bit 0: label contradicted; bit 1: dead.
  private static func flags(_ summary: FeatureSummary) -> String {
    String((summary.label.contradicted ? 1 : 0) | (summary.flags.contains(.dead) ? 2 : 0))
  }
}

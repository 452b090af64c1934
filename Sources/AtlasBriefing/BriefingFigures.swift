import AtlasArtifacts
import AtlasSite
import Foundation

/// The briefing's figures as inline SVG or HTML our own code builds; every string from the data is
/// escaped here (`Markup.text`), so the template places them with `{{{ }}}`.
package enum BriefingFigures {
  static let accent = "#C2410C"
  static let context = "#C9C5BA"

  // MARK: - Maps

  struct Box { var minU: Double; var minV: Double; var maxU: Double; var maxV: Double }

  /// The map box (page units of `MapGeometry`) around `features`, padded and widened to `aspect`.
  static func box(_ features: [Int], map: MapGeometry, aspect: Double, minimumSpan: Double) -> Box {
    var b = Box(minU: .infinity, minV: .infinity, maxU: -.infinity, maxV: -.infinity)
    for i in features where i >= 0 && i < map.u.count {
      b.minU = min(b.minU, Double(map.u[i])); b.maxU = max(b.maxU, Double(map.u[i]))
      b.minV = min(b.minV, Double(map.v[i])); b.maxV = max(b.maxV, Double(map.v[i]))
    }
    if !b.minU.isFinite { b = Box(minU: 0, minV: 0, maxU: MapGeometry.width, maxV: MapGeometry.height) }
    let padU = max((b.maxU - b.minU) * 0.15, minimumSpan / 2 - (b.maxU - b.minU) / 2)
    let padV = max((b.maxV - b.minV) * 0.15, minimumSpan / aspect / 2 - (b.maxV - b.minV) / 2)
    b.minU -= padU; b.maxU += padU; b.minV -= padV; b.maxV += padV
    let w = b.maxU - b.minU, h = b.maxV - b.minV
    if w / h > aspect {
      let extra = w / aspect - h
      b.minV -= extra / 2; b.maxV += extra / 2
    } else {
      let extra = h * aspect - w
      b.minU -= extra / 2; b.maxU += extra / 2
    }
    return b
  }

  /// A part of the map: nearby features in grey, `highlighted` in the accent colour, `named` features
  /// labelled (placed so labels never overlap; a label that cannot be placed is left out, its dot stays),
  /// optional lines from `centre` to the named ones, and a thumbnail of the whole map marking the part shown.
  static func zoomedMap(input: BriefingInput, focus: [Int], highlighted: [Int], named: [Int], centre: Int?,
                        width: Double, height: Double, label: String, thumbnail: Bool) -> String {
    let map = input.map
    let b = box(focus, map: map, aspect: width / height, minimumSpan: 140)
    let s = width / (b.maxU - b.minU)
    func px(_ i: Int) -> (Double, Double) { ((Double(map.u[i]) - b.minU) * s, (Double(map.v[i]) - b.minV) * s) }
    func inside(_ p: (Double, Double)) -> Bool { p.0 >= 2 && p.0 <= width - 2 && p.1 >= 2 && p.1 <= height - 2 }

    var svg = SVG(width: width, height: height, className: "map", label: label)
    svg.rect(x: 0, y: 0, width: width, height: height, className: "map-bg")
    var d = ""
    let highlightedSet = Set(highlighted)
    for i in map.grid.sample(minU: b.minU, minV: b.minV, maxU: b.maxU, maxV: b.maxV, target: 1600, u: map.u, v: map.v)
      where !highlightedSet.contains(i) {
      let (x, y) = px(i)
      SVG.appendDot(&d, x, y)
    }
    svg.path(d, className: "pt ctx", stroke: context)

    // Boxes labels must avoid: the thumbnail, then each placed label.
    var taken: [(Double, Double, Double, Double)] = []
    let thumbW = 150.0, thumbH = thumbW * MapGeometry.height / MapGeometry.width
    let thumbX = width - thumbW - 8, thumbY = height - thumbH - 8
    if thumbnail { taken.append((thumbX - 4, thumbY - 4, width, height)) }

    if let centre, centre >= 0, centre < map.u.count {
      let (cx, cy) = px(centre)
      for j in named where j != centre && j >= 0 && j < map.u.count {
        let (x, y) = px(j)
        svg.line(x1: cx, y1: cy, x2: x, y2: y, className: "edge")
      }
    }
    var hd = ""
    for i in highlighted where i >= 0 && i < map.u.count {
      let p = px(i)
      if inside(p) { SVG.appendDot(&hd, p.0, p.1) }
    }
    svg.path(hd, className: "pt hi", stroke: accent)
    var labels = ""
    for i in named where i >= 0 && i < map.u.count {
      let p = px(i)
      guard inside(p) else { continue }
      svg.circle(cx: p.0, cy: p.1, r: i == centre ? 6 : 4.5, className: i == centre ? "named centre" : "named")
      let text = input.naming.id(i) + " " + PlainLanguage.short(PlainLanguage.name(input.summaries[i]), 26)
      let w = Double(text.count) * 6.3 + 4, h = 13.0
      // Right, left, above, below the dot.
      let candidates = [(p.0 + 8, p.1 + 4, "start"), (p.0 - 8, p.1 + 4, "end"), (p.0, p.1 - 10, "middle"), (p.0, p.1 + 17, "middle")]
      for (x, y, anchor) in candidates {
        let x0 = anchor == "start" ? x : anchor == "end" ? x - w : x - w / 2
        let box = (x0, y - h + 2, x0 + w, y + 3)
        guard box.0 >= 2, box.2 <= width - 2, box.1 >= 2, box.3 <= height - 2 else { continue }
        if taken.contains(where: { box.0 < $0.2 && $0.0 < box.2 && box.1 < $0.3 && $0.1 < box.3 }) { continue }
        taken.append(box)
        labels += "<text x=\"\(SVG.coordinate(x))\" y=\"\(SVG.coordinate(y))\" class=\"lbl\" text-anchor=\"\(anchor)\">\(Markup.text(text))</text>"
        break
      }
    }
    svg.raw("<g class=\"labels\">" + labels + "</g>")

    if thumbnail {
      let t = thumbW / MapGeometry.width
      svg.raw("<g class=\"thumb\">")
      svg.rect(x: thumbX, y: thumbY, width: thumbW, height: thumbH, className: "thumb-bg")
      var all = ""
      let stride = max(1, map.u.count / 1500)
      for i in Swift.stride(from: 0, to: map.u.count, by: stride) {
        SVG.appendDot(&all, thumbX + Double(map.u[i]) * t, thumbY + Double(map.v[i]) * t)
      }
      svg.path(all, className: "pt tiny", stroke: context)
      var mine = ""
      for i in highlighted where i >= 0 && i < map.u.count {
        SVG.appendDot(&mine, thumbX + Double(map.u[i]) * t, thumbY + Double(map.v[i]) * t)
      }
      svg.path(mine, className: "pt tiny", stroke: accent)
      let rx = max(thumbX, thumbX + b.minU * t), ry = max(thumbY, thumbY + b.minV * t)
      let rw = min(thumbX + thumbW, thumbX + b.maxU * t) - rx, rh = min(thumbY + thumbH, thumbY + b.maxV * t) - ry
      if rw > 0, rh > 0 { svg.rect(x: rx, y: ry, width: rw, height: rh, className: "thumb-box") }
      svg.text("whole map", x: thumbX + 4, y: thumbY + 11, className: "thumb-label")
      svg.raw("</g>")
    }
    return svg.finished()
  }

  // MARK: - Text

  /// An example window around its peak as escaped HTML: up to `before` pieces before the peak and
  /// `after` after it, line breaks as spaces, the peak token in `<mark>`.
  package static func snippet(_ window: ExampleWindow, before: Int = 12, after: Int = 5) -> String {
    guard !window.tokens.isEmpty else { return "" }
    let peak = max(0, min(window.tokens.count - 1, window.peak))
    let start = max(0, peak - before), end = min(window.tokens.count, peak + after + 1)
    func clean(_ piece: String) -> String {
      Markup.text(Markup.displayable(piece).replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: " ")
        .replacingOccurrences(of: "\t", with: " "))
    }
    // A piece that only starts a multi-byte character is shown as hex bytes ("<0xE2>"); the character
    // itself appears on the piece that completes it, so the hex pieces are left out.
    func shown(_ k: Int) -> String { isHexBytes(window.tokens[k]) ? "" : clean(window.tokens[k]) }
    var out = start > 0 ? "…" : ""
    for k in start ..< peak { out += shown(k) }
    let p = window.tokens[peak]
    let leading = p.prefix { $0 == " " || $0 == "\n" }
    let body = String(p.dropFirst(leading.count))
    out += (leading.isEmpty ? "" : " ") + "<mark>" + (body.isEmpty ? "↵" : clean(body)) + "</mark>"
    for k in peak + 1 ..< end { out += shown(k) }
    if end < window.tokens.count { out += "…" }
    // Collapse runs of spaces the line breaks left.
    while out.contains("  ") { out = out.replacingOccurrences(of: "  ", with: " ") }
    return out.trimmingCharacters(in: .whitespaces)
  }

  /// "<0xE2>" or "<0xE2><0x80>": a piece holding only bytes of an unfinished character.
  static func isHexBytes(_ piece: String) -> Bool {
    var rest = Substring(piece)
    guard !rest.isEmpty else { return false }
    while !rest.isEmpty {
      guard rest.count >= 6, rest.hasPrefix("<0x"), rest.dropFirst(5).first == ">",
            rest.dropFirst(3).prefix(2).allSatisfy(\.isHexDigit) else { return false }
      rest = rest.dropFirst(6)
    }
    return true
  }

  /// A diff side as escaped HTML, changed words in `<mark>`.
  package static func marked(_ pieces: [WordDiff.Piece]) -> String {
    var out = ""
    for p in pieces {
      let word = p.text.trimmingCharacters(in: .whitespacesAndNewlines)
      let space = p.text.count > word.count ? " " : ""
      let text = Markup.text(Markup.displayable(word))
      out += (p.changed ? "<mark>" + text + "</mark>" : text) + space
    }
    return out.trimmingCharacters(in: .whitespaces)
  }
}

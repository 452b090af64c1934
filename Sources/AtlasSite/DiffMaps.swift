import AtlasArtifacts

/// The aligned maps of a diff: A's map, B's map put onto A's by the Procrustes fit, and an overlay with a
/// line from each matched feature's place in A to its partner's place in B.
enum DiffMaps {
  static let width = 600.0, height = 450.0, pad = 14.0

  /// Status colours (Okabe–Ito), the same on every page and in the legend.
  static func colour(_ status: DiffStatus) -> String {
    switch status {
    case .matched: "#0072B2"
    case .changed: "#E69F00"
    case .split: "#CC79A7"
    case .merged: "#56B4E9"
    case .vanished: "#D55E00"
    case .new: "#009E73"
    }
  }

  struct Frame {
    var minX: Double, minY: Double, scale: Double, offsetX: Double, offsetY: Double
    func project(_ x: Double, _ y: Double) -> (Double, Double) {
      (offsetX + (x - minX) * scale, DiffMaps.height - (offsetY + (y - minY) * scale))
    }
  }

  /// One frame for both maps, so a point means the same place in all three pictures.
  static func frame(_ points: [(Double, Double)]) -> Frame {
    let finite = points.filter { $0.0.isFinite && $0.1.isFinite }
    guard let first = finite.first else { return Frame(minX: 0, minY: 0, scale: 1, offsetX: pad, offsetY: pad) }
    var (minX, maxX, minY, maxY) = (first.0, first.0, first.1, first.1)
    for p in finite { minX = min(minX, p.0); maxX = max(maxX, p.0); minY = min(minY, p.1); maxY = max(maxY, p.1) }
    let scale = min((width - 2 * pad) / max(maxX - minX, 1e-9), (height - 2 * pad) / max(maxY - minY, 1e-9))
    let offsetX = (width - (maxX - minX) * scale) / 2, offsetY = (height - (maxY - minY) * scale) / 2
    return Frame(minX: minX, minY: minY, scale: scale, offsetX: offsetX, offsetY: offsetY)
  }

  /// Points of one map coloured by status; the highlighted statuses drawn last and larger.
  static func statusMap(label: String, points: [(Double, Double)], statuses: [DiffStatus], frame: Frame,
                        highlight: Set<DiffStatus>) -> String {
    var svg = SVG(width: width, height: height, className: "map-svg diff-map", label: label, extra: " preserveAspectRatio=\"xMidYMid meet\"")
    svg.rect(x: 0, y: 0, width: width, height: height, className: "map-bg")
    let order: [DiffStatus] = [.matched, .changed, .merged, .split, .vanished, .new]
    for status in order {
      var d = ""
      for (i, p) in points.enumerated() where statuses[i] == status && p.0.isFinite && p.1.isFinite {
        let (x, y) = frame.project(p.0, p.1)
        SVG.appendDot(&d, x, y)
      }
      if !d.isEmpty { svg.path(d, className: highlight.contains(status) ? "pt hl" : "pt", stroke: colour(status)) }
    }
    return svg.finished()
  }

  /// A's points in grey, a line from each pair's A point to its B point (the longest `lineLimit`), and
  /// vanished, new and split features on top.
  static func overlay(pairs: [DiffPairRecord], a: [(Double, Double)], b: [(Double, Double)], statusA: [DiffStatus], statusB: [DiffStatus],
                      frame: Frame, lineLimit: Int) -> String {
    var svg = SVG(width: width, height: height, className: "map-svg diff-map",
                  label: "Overlay: B's map aligned onto A's, with a line from each matched feature in A to its partner in B",
                  extra: " preserveAspectRatio=\"xMidYMid meet\"")
    svg.rect(x: 0, y: 0, width: width, height: height, className: "map-bg")
    var base = ""
    for p in a where p.0.isFinite && p.1.isFinite {
      let (x, y) = frame.project(p.0, p.1)
      SVG.appendDot(&base, x, y)
    }
    if !base.isEmpty { svg.path(base, className: "pt faint", stroke: "#B8B8B8") }
    let moves = pairs.map { pair -> (Double, DiffPairRecord) in
      let (p, q) = (a[pair.a], b[pair.b])
      return (((p.0 - q.0) * (p.0 - q.0) + (p.1 - q.1) * (p.1 - q.1)).squareRoot(), pair)
    }.filter { $0.0.isFinite }.sorted { ($0.0, -$0.1.a) > ($1.0, -$1.1.a) }.prefix(lineLimit)
    var lines = ""
    for (_, pair) in moves {
      let (x1, y1) = frame.project(a[pair.a].0, a[pair.a].1), (x2, y2) = frame.project(b[pair.b].0, b[pair.b].1)
      lines += "M"; SVG.appendCoordinate(&lines, x1); lines += " "; SVG.appendCoordinate(&lines, y1)
      lines += "L"; SVG.appendCoordinate(&lines, x2); lines += " "; SVG.appendCoordinate(&lines, y2)
    }
    if !lines.isEmpty { svg.path(lines, className: "move", stroke: colour(.matched)) }
    for (status, points, statuses) in [(DiffStatus.split, a, statusA), (.vanished, a, statusA), (.new, b, statusB)] {
      var d = ""
      for (i, p) in points.enumerated() where statuses[i] == status && p.0.isFinite && p.1.isFinite {
        let (x, y) = frame.project(p.0, p.1)
        SVG.appendDot(&d, x, y)
      }
      if !d.isEmpty { svg.path(d, className: "pt hl", stroke: colour(status)) }
    }
    return svg.finished()
  }
}

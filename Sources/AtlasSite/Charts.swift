import AtlasArtifacts
import Foundation

/// Small SVG charts: activation histograms and training curves. Sizes are in SVG units; CSS scales them.
package enum Charts {
  // MARK: - Histogram of log10 values

  /// Bars of a `LogHistogram`, with ticks at powers of ten. `what` names one counted thing ("firing").
  static func logHistogram(_ histogram: LogHistogram, label: String, what: String, valueFormat: (Double) -> String) -> String {
    let (w, h) = (360.0, 130.0)
    let (left, right, top, bottom) = (40.0, 16.0, 10.0, 24.0)
    var svg = SVG(width: w, height: h, className: "chart hist", label: label)
    let counts = histogram.counts
    let peak = max(1, counts.max() ?? 1)
    guard !counts.isEmpty, histogram.binWidth > 0 else {
      svg.text("no firings", x: w / 2, y: h / 2, className: "axis-label", anchor: "middle")
      return svg.finished()
    }
    let plotW = w - left - right, plotH = h - top - bottom
    let barW = plotW / Double(counts.count)
    let lower = histogram.lowerLog10, upper = lower + histogram.binWidth * Double(counts.count)
    func xOf(_ log: Double) -> Double { left + (log - lower) / (upper - lower) * plotW }
    func at(_ x: Double, _ y: Double) -> String { svg.n(x) + " " + svg.n(y) }
    // Axes and tick marks as one path, tick labels in two groups by alignment: every page has a histogram,
    // and an element per tick cost a kilobyte a page.
    // Count axis: bar heights are square roots of the counts, so the ticks sit at √(count / peak).
    var axes = "M" + at(left, top + plotH) + "H" + svg.n(left + plotW) + "M" + at(left, top) + "V" + svg.n(top + plotH)
    var countLabels = ""
    var countTicks = [peak]
    let quarter = Int((Double(peak) / 4).rounded())
    if quarter >= 1, quarter < peak { countTicks.append(quarter) }
    for c in countTicks {
      let y = top + plotH - (Double(c) / Double(peak)).squareRoot() * plotH
      axes += "M" + at(left - 4, y) + "H" + svg.n(left)
      countLabels += "<text x=\"\(svg.n(left - 6))\" y=\"\(svg.n(y + 3.5))\">\(Format.compact(c))</text>"
    }
    countLabels += "<text x=\"\(svg.n(left - 6))\" y=\"\(svg.n(top + plotH + 3.5))\">0</text>"
    for (b, count) in counts.enumerated() where count > 0 {
      // Square-root height keeps small bins visible next to a tall mode.
      let height = max(1, (Double(count) / Double(peak)).squareRoot() * plotH)
      let a = lower + Double(b) * histogram.binWidth
      svg.rect(x: left + Double(b) * barW + 0.5, y: top + plotH - height, width: max(0.5, barW - 1), height: height,
               className: "bar", title: "\(valueFormat(pow(10, a)))–\(valueFormat(pow(10, a + histogram.binWidth))): \(Format.count(count)) \(what)\(count == 1 ? "" : "s")")
    }
    var valueLabels = ""
    var tick = ceil(lower)
    while tick <= upper + 1e-9 {
      let x = xOf(tick)
      axes += "M" + at(x, top + plotH) + "V" + svg.n(top + plotH + 4)
      valueLabels += "<text x=\"\(svg.n(x))\" y=\"\(svg.n(h - 6))\">\(Markup.text(valueFormat(pow(10, tick))))</text>"
      tick += 1
    }
    svg.path(axes, className: "axis")
    svg.raw("<g class=\"tick\" text-anchor=\"end\">" + countLabels + "</g><g class=\"tick\" text-anchor=\"middle\">" + valueLabels + "</g>")
    return svg.finished()
  }

  // MARK: - Line chart

  struct Series {
    var name: String
    var points: [(x: Double, y: Double)]
    var className: String
  }

  /// A line chart with nice ticks on both axes; `xFormat`/`yFormat` format tick values.
  static func lines(_ series: [Series], label: String, xTitle: String, yTitle: String,
                    xFormat: (Double) -> String, yFormat: (Double) -> String, yFromZero: Bool = true) -> String {
    let (w, h) = (380.0, 200.0)
    let (left, right, top, bottom) = (58.0, 14.0, 14.0, 40.0)
    var svg = SVG(width: w, height: h, className: "chart lines", label: label)
    let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
    guard let first = all.first else {
      svg.text("no data", x: w / 2, y: h / 2, className: "axis-label", anchor: "middle")
      return svg.finished()
    }
    var (x0, x1, y0, y1) = (first.x, first.x, first.y, first.y)
    for p in all { x0 = min(x0, p.x); x1 = max(x1, p.x); y0 = min(y0, p.y); y1 = max(y1, p.y) }
    if yFromZero { y0 = min(0, y0) }
    if x1 == x0 { x1 = x0 + 1 }
    if y1 == y0 { y1 = y0 + 1 }
    let xTicks = niceTicks(x0, x1, count: 4), yTicks = niceTicks(y0, y1, count: 4)
    x0 = min(x0, xTicks.first ?? x0); x1 = max(x1, xTicks.last ?? x1)
    y0 = min(y0, yTicks.first ?? y0); y1 = max(y1, yTicks.last ?? y1)
    let plotW = w - left - right, plotH = h - top - bottom
    func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotW }
    func py(_ y: Double) -> Double { top + plotH - (y - y0) / (y1 - y0) * plotH }
    for t in yTicks {
      svg.line(x1: left, y1: py(t), x2: left + plotW, y2: py(t), className: "grid")
      svg.text(yFormat(t), x: left - 6, y: py(t) + 4, className: "tick", anchor: "end")
    }
    for t in xTicks {
      svg.line(x1: px(t), y1: top + plotH, x2: px(t), y2: top + plotH + 4, className: "axis")
      svg.text(xFormat(t), x: px(t), y: top + plotH + 16, className: "tick", anchor: "middle")
    }
    svg.line(x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH, className: "axis")
    svg.text(xTitle, x: left + plotW / 2, y: h - 4, className: "axis-label", anchor: "middle")
    svg.raw("<text class=\"axis-label\" text-anchor=\"middle\" transform=\"translate(14 \(SVG.coordinate(top + plotH / 2))) rotate(-90)\">\(Markup.text(yTitle))</text>")
    for s in series {
      let d = s.points.filter { $0.x.isFinite && $0.y.isFinite }.enumerated()
        .map { "\($0.offset == 0 ? "M" : "L")\(SVG.coordinate(px($0.element.x))) \(SVG.coordinate(py($0.element.y)))" }.joined()
      if !d.isEmpty { svg.path(d, className: "line \(s.className)") }
    }
    return svg.finished()
  }

  /// About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 × 10^k).
  package static func niceTicks(_ lo: Double, _ hi: Double, count: Int) -> [Double] {
    guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
    let raw = (hi - lo) / Double(max(1, count))
    let magnitude = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    var ticks: [Double] = []
    var t = floor(lo / step) * step
    while t <= hi + step * 0.5 && ticks.count < 20 {
      ticks.append(abs(t) < step * 1e-9 ? 0 : t)
      t += step
    }
    return ticks
  }
}

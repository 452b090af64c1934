/// A small builder for SVG our own code produces (maps, histograms, charts; the briefing's figures too). Every text and attribute
/// value from the data goes through `Markup.text`, so the result can be placed with `{{{ }}}`.
package struct SVG {
  package private(set) var markup = ""

  package init(width: Double, height: Double, className: String, label: String, extra: String = "") {
    markup.reserveCapacity(4096)
    markup += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"\(className)\" viewBox=\"0 0 \(n(width)) \(n(height))\""
    markup += " role=\"img\" aria-label=\"\(Markup.text(label))\"\(extra)><title>\(Markup.text(label))</title>"
  }

  package mutating func raw(_ fragment: String) { markup += fragment }

  package mutating func rect(x: Double, y: Double, width: Double, height: Double, className: String, title: String? = nil,
                             fill: String? = nil) {
    markup += "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(height))\" class=\"\(className)\""
    if let fill { markup += " fill=\"\(fill)\"" }
    if let title { markup += "><title>\(Markup.text(title))</title></rect>" } else { markup += "/>" }
  }

  package mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, className: String) {
    markup += "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" class=\"\(className)\"/>"
  }

  package mutating func circle(cx: Double, cy: Double, r: Double, className: String, fill: String? = nil, title: String? = nil) {
    markup += "<circle cx=\"\(n(cx))\" cy=\"\(n(cy))\" r=\"\(n(r))\" class=\"\(className)\""
    if let fill { markup += " fill=\"\(fill)\"" }
    if let title { markup += "><title>\(Markup.text(title))</title></circle>" } else { markup += "/>" }
  }

  /// `anchor` is start, middle or end.
  package mutating func text(_ string: String, x: Double, y: Double, className: String, anchor: String = "start") {
    markup += "<text x=\"\(n(x))\" y=\"\(n(y))\" class=\"\(className)\" text-anchor=\"\(anchor)\">\(Markup.text(string))</text>"
  }

  package mutating func path(_ d: String, className: String, stroke: String? = nil) {
    markup += "<path class=\"\(className)\"\(stroke.map { " stroke=\"\($0)\"" } ?? "") d=\"\(d)\"/>"
  }

  package mutating func link(_ href: String, _ body: (inout SVG) -> Void) {
    markup += "<a href=\"\(Markup.escape(href))\">"
    body(&self)
    markup += "</a>"
  }

  package func finished() -> String { markup + "</svg>" }

  /// A coordinate with at most one decimal ("12", "12.5").
  package func n(_ value: Double) -> String { SVG.coordinate(value) }

  /// Appends "M{x} {y}h0": one round dot of a points path (zero-length segment with round caps).
  package static func appendDot(_ d: inout String, _ x: Double, _ y: Double) {
    d += "M"
    appendCoordinate(&d, x)
    d += " "
    appendCoordinate(&d, y)
    d += "h0"
  }

  /// The `d` of a points path: one round dot per point (a zero-length segment with round caps). The
  /// first dot is an absolute move, each later one a move relative to the one before ("m3.2-.4h0"), in
  /// tenths of a unit rounded exactly as `appendDot` rounds, so the dots land where absolute moves would
  /// put them; neighbouring points are close, so the relative path is about a third shorter.
  package struct Dots {
    package private(set) var d = ""
    private var last: (x: Int64, y: Int64)?
    package init() {}
    package var isEmpty: Bool { d.isEmpty }

    package mutating func add(_ x: Double, _ y: Double) {
      let tx = SVG.tenths(x), ty = SVG.tenths(y)
      let (dx, dy) = last.map { (tx &- $0.x, ty &- $0.y) } ?? (tx, ty)
      d += last == nil ? "M" : "m"
      Dots.append(&d, dx)
      if dy >= 0 { d += " " }
      Dots.append(&d, dy)
      d += "h0"
      last = (tx, ty)
    }

    /// Tenths as the shortest decimal: 12 -> "1.2", 5 -> ".5", -5 -> "-.5", 30 -> "3".
    private static func append(_ out: inout String, _ tenths: Int64) {
      if tenths < 0 { out += "-" }
      let magnitude = tenths.magnitude
      let whole = magnitude / 10, fraction = magnitude % 10
      if whole != 0 || fraction == 0 { out += String(whole) }
      if fraction != 0 {
        out += "."
        out.unicodeScalars.append(Unicode.Scalar(UInt8(48 + fraction)))
      }
    }
  }

  /// A coordinate in whole tenths, as `appendCoordinate` rounds it (0 for what it writes as "0").
  static func tenths(_ value: Double) -> Int64 {
    let tenths = (value * 10).rounded()
    guard tenths.isFinite, abs(tenths) < 1e12 else { return 0 }
    return Int64(tenths)
  }

  package static func appendCoordinate(_ out: inout String, _ value: Double) {
    let tenths = (value * 10).rounded()
    guard tenths.isFinite, abs(tenths) < 1e12 else { out += "0"; return }
    let t = Int64(tenths)
    if t < 0 { out += "-" }
    let magnitude = t.magnitude
    out += String(magnitude / 10)
    let fraction = magnitude % 10
    if fraction != 0 {
      out += "."
      out.unicodeScalars.append(Unicode.Scalar(UInt8(48 + fraction)))
    }
  }

  /// A coordinate with at most two decimals ("12", "12.5", "-3.25"), for placements that a zoom magnifies.
  package static func fine(_ value: Double) -> String { decimal(value, places: 2) }

  package static func coordinate(_ value: Double) -> String { decimal(value, places: 1) }

  /// `value` rounded to `places` (1 or 2) decimals, without trailing zeros ("12", "12.5", "-0.05").
  static func decimal(_ value: Double, places: Int) -> String {
    let unit: Int64 = places >= 2 ? 100 : 10
    let scaled = (value * Double(unit)).rounded()
    guard scaled.isFinite, abs(scaled) < 1e12 else { return "0" }
    let t = Int64(scaled)
    let whole = t / unit
    var fraction = abs(t % unit)
    if fraction == 0 { return String(whole) }
    var digits = places >= 2 ? 2 : 1
    while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
    var text = String(fraction)
    while text.count < digits { text = "0" + text }
    return (t < 0 && whole == 0 ? "-0" : String(whole)) + "." + text
  }
}

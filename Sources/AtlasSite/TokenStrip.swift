import AtlasArtifacts

/// An example window as a strip of tokens, each shaded by its activation relative to the feature's
/// maximum, for the pages that write their examples as XHTML (topic pages, the diff site; feature pages
/// draw theirs in the browser with the same classes, see `FeatureData`). Built in code rather than in a
/// template because a page holds dozens of windows and thousands of tokens (a Mustache section or partial
/// costs several microseconds each); every piece is escaped here, and the figures are placed with `{{{ }}}`
/// like the SVG charts.
package enum TokenStrip {
  /// Number of shading levels (CSS classes `a1` … `a8`).
  package static let levels = 8

  /// `<figure class="example">` holding the strip and its caption (escaped here); `id` is the anchor
  /// later references to the same window point to ("" for none).
  package static func figure(_ window: ExampleWindow, scale: Float, caption: String, id: String = "") -> String {
    (id.isEmpty ? "<figure class=\"example\">" : "<figure class=\"example\" id=\"\(id)\">") + "<div class=\"strip\">"
      + html(window, scale: scale) + "</div><figcaption>" + Markup.text(caption) + "</figcaption></figure>\n"
  }

  /// A token that fired is a `<span>` with `class="aK"` (K = ⌈levels · value / scale⌉), a `title` with
  /// its value, and `pk` on the window's peak. A token that did not fire is plain text: it has no shade
  /// and no value to hover, so a span around it drew nothing and cost 13 bytes a token (two thirds of a
  /// feature page's example markup). Two exceptions keep their own `<span>`: an unfired peak (it is
  /// underlined) and a piece with right-to-left letters, which the strip's CSS isolates per token so it
  /// cannot reorder its neighbours. Pieces are shown as they are (hex pieces of partial characters
  /// included), with whitespace controls made visible.
  package static func html(_ window: ExampleWindow, scale: Float) -> String {
    var out = ""
    out.reserveCapacity(window.tokens.count * 8)
    let scale = scale > 0 && scale.isFinite ? scale : 1
    for (k, piece) in window.tokens.enumerated() {
      let value = k < window.activations.count ? window.activations[k] : 0
      let text = Markup.text(Markup.tokenText(piece))
      let peak = k == window.peak
      if value > 0 && value.isFinite {
        out += "<span class=\"a\(level(value, scale: scale))\(peak ? " pk" : "")\" title=\"\(Format.activation(value))\">\(text)</span>"
      } else if peak {
        out += "<span class=\"pk\">\(text)</span>"
      } else if rightToLeft(piece) {
        out += "<span>\(text)</span>"
      } else {
        out += text
      }
    }
    return out
  }

  /// The shading level of a token that fired: ⌈levels · value / scale⌉ within 1…`levels` (`scale` > 0).
  static func level(_ value: Float, scale: Float) -> Int {
    max(1, min(levels, Int((Float(levels) * value / scale).rounded(.up))))
  }

  /// Whether a piece holds a letter of a right-to-left script (Hebrew, Arabic, Syriac, Thaana, NKo,
  /// Samaritan, Mandaic and their presentation forms; the supplementary RTL blocks).
  static func rightToLeft(_ piece: String) -> Bool {
    piece.unicodeScalars.contains { s in
      let v = s.value
      return (0x0590 ... 0x08FF).contains(v) || (0xFB1D ... 0xFDFF).contains(v) || (0xFE70 ... 0xFEFF).contains(v)
        || (0x10800 ... 0x10FFF).contains(v) || (0x1E800 ... 0x1EFFF).contains(v)
    }
  }
}

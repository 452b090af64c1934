import AtlasArtifacts

/// An example window as a strip of tokens, each shaded by its activation relative to the feature's
/// maximum. Built in code rather than in a template because a feature page holds dozens of windows and
/// thousands of tokens (a Mustache section or partial costs several microseconds each, and a 16k-feature
/// atlas has half a million windows); every piece is escaped here, and the figures are placed with
/// `{{{ }}}` like the SVG charts.
package enum TokenStrip {
  /// Number of shading levels (CSS classes `a1` … `a8`).
  package static let levels = 8

  /// `<figure class="example">` holding the strip and its caption (escaped here).
  package static func figure(_ window: ExampleWindow, scale: Float, caption: String) -> String {
    "<figure class=\"example\"><div class=\"strip\">" + html(window, scale: scale) + "</div><figcaption>"
      + Markup.text(caption) + "</figcaption></figure>\n"
  }

  /// `<span>` per token: `class="aK"` for activation > 0 with K = ⌈levels · value / scale⌉, a `title`
  /// with the value, and `pk` on the window's peak. Pieces are shown as they are (hex pieces of partial
  /// characters included), with whitespace controls made visible.
  package static func html(_ window: ExampleWindow, scale: Float) -> String {
    var out = ""
    out.reserveCapacity(window.tokens.count * 24)
    let scale = scale > 0 && scale.isFinite ? scale : 1
    for (k, piece) in window.tokens.enumerated() {
      let value = k < window.activations.count ? window.activations[k] : 0
      let text = Markup.text(Markup.tokenText(piece))
      let peak = k == window.peak
      if value > 0 && value.isFinite {
        let level = max(1, min(levels, Int((Float(levels) * value / scale).rounded(.up))))
        out += "<span class=\"a\(level)\(peak ? " pk" : "")\" title=\"\(Format.activation(value))\">\(text)</span>"
      } else {
        out += peak ? "<span class=\"pk\">\(text)</span>" : "<span>\(text)</span>"
      }
    }
    return out
  }
}

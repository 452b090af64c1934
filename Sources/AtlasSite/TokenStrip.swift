import AtlasArtifacts

/// An example window as a strip of tokens, each shaded by its activation relative to the feature's
/// maximum. Built in code rather than in a template because a feature page holds thousands of tokens
/// (a Mustache section costs several microseconds per token); every piece is escaped here, and the
/// strip is placed with `{{{ }}}` like the SVG charts.
package enum TokenStrip {
  /// Number of shading levels (CSS classes `a1` … `a8`).
  package static let levels = 8

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

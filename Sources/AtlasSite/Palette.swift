/// Colours for coarse clusters, distinguishable under the common colour-vision deficiencies: the seven
/// chromatic Okabe–Ito colours (Okabe & Ito 2008) followed by five of Paul Tol's "muted" scheme. Beyond
/// twelve coarse clusters colours repeat; the cluster names on the map and in the legend disambiguate.
package enum Palette {
  package static let categorical = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7",   // Okabe–Ito
    "#332288", "#999933", "#882255", "#44AA99", "#CC6677", "#DDCC77",   // Tol muted
  ]
  /// Points that no cluster claims (e.g. HDBSCAN noise).
  package static let unclustered = "#B8B8B8"

  package static func colour(cluster: Int) -> String {
    cluster < 0 ? unclustered : categorical[cluster % categorical.count]
  }

  /// The CSS class of a cluster's colour (`k0` … `k11`, `ku` for unclustered; defined in atlas.css): a
  /// swatch as `<span class="sw k3"></span>` is 27 bytes where an inline SVG circle was 107, and a
  /// feature page draws twenty.
  package static func swatchClass(cluster: Int) -> String {
    cluster < 0 ? "ku" : "k\(cluster % categorical.count)"
  }
}

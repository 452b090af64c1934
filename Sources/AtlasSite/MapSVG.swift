import AtlasArtifacts
import Foundation

/// The map as inline SVG that reads without JavaScript: the index map, a feature's neighbourhood and a
/// cluster's footprint. Points are zero-length path segments with round caps, one path per colour,
/// which keeps 16k points to about 200 kB.
enum MapSVG {
  // MARK: - Index map

  /// All points (or every k-th, when there are more than `pointLimit`), coloured by coarse cluster, with
  /// coarse cluster names at their centroids. Returns the SVG and the number of points drawn.
  static func index(_ input: SiteInput, pointLimit: Int) -> (svg: String, shown: Int) {
    let map = input.map
    let n = map.count
    let stride = max(1, (n + max(1, pointLimit) - 1) / max(1, pointLimit))
    let levelName = input.hierarchy.levels.first?.name ?? "coarse"
    var svg = SVG(width: MapGeometry.width, height: MapGeometry.height, className: "map-svg",
                  label: "Map of \(Format.count(n)) features by decoder direction (UMAP), coloured by \(levelName) cluster",
                  extra: " id=\"map-static\" preserveAspectRatio=\"xMidYMid meet\"")
    svg.rect(x: 0, y: 0, width: MapGeometry.width, height: MapGeometry.height, className: "map-bg")
    svg.raw("<g class=\"pts\">")
    var shown = 0
    let coarse = map.assignment.first ?? Array(repeating: -1, count: n)
    for (colour, members) in colourGroups(coarse, stride: stride) {
      var dots = SVG.Dots()
      for i in members { dots.add(Double(map.u[i]), Double(map.v[i])) }
      shown += members.count
      svg.path(dots.d, className: "pt", stroke: colour)
    }
    svg.raw("</g><g class=\"map-labels\">")
    if let level = input.hierarchy.levels.first {
      for placed in placeLabels(level.clusters, map: map, fontSize: 15, limit: 40) {
        svg.text(placed.text, x: placed.x, y: placed.y, className: "map-label", anchor: "middle")
      }
    }
    svg.raw("</g>")
    return (svg.finished(), shown)
  }

  /// Point indices grouped by colour: unclustered first (drawn underneath), then clusters in id order.
  private static func colourGroups(_ clusters: [Int], stride: Int) -> [(String, [Int])] {
    var groups: [Int: [Int]] = [:]
    for i in Swift.stride(from: 0, to: clusters.count, by: stride) { groups[clusters[i], default: []].append(i) }
    return groups.keys.sorted().map { (Palette.colour(cluster: $0), groups[$0] ?? []) }
  }

  struct PlacedLabel { var text: String; var x: Double; var y: Double }

  /// Greedy placement, largest clusters first; a label that would overlap a placed one is left out.
  static func placeLabels(_ clusters: [ClusterRecord], map: MapGeometry, fontSize: Double, limit: Int) -> [PlacedLabel] {
    var boxes: [(Double, Double, Double, Double)] = []
    var placed: [PlacedLabel] = []
    for cluster in clusters.sorted(by: { ($0.size, -$0.id) > ($1.size, -$1.id) }) where cluster.size > 0 {
      guard placed.count < limit else { break }
      let (x, y) = map.project(x: cluster.x, y: cluster.y)
      let text = shortened(cluster.label, to: 34)
      let w = Double(text.count) * fontSize * 0.56 + 6
      let h = fontSize * 1.3
      let box = (x - w / 2, y - h * 0.8, x + w / 2, y + h * 0.4)
      if boxes.contains(where: { box.0 < $0.2 && $0.0 < box.2 && box.1 < $0.3 && $0.1 < box.3 }) { continue }
      boxes.append(box)
      placed.append(PlacedLabel(text: text, x: min(max(x, w / 2), MapGeometry.width - w / 2), y: y))
    }
    return placed
  }

  static func shortened(_ text: String, to length: Int) -> String {
    text.count <= length ? text : String(text.prefix(length - 1)) + "…"
  }

  // MARK: - Neighbourhood of one feature

  /// Where a feature's neighbourhood window looks (drawn by `assets/feature.js`): the feature and its
  /// decoder neighbours in a 300 × 200 window around them. The map's points are not drawn one by one: the
  /// window shows one of the shared point layers (`pointsFile`), scaled and shifted so the map's
  /// coordinates land where the window puts them; the layer shows every point and is written once.
  static func neighbourhoodData(feature: Int, neighbours: [Int], input: SiteInput) -> FeatureData.Minimap {
    let map = input.map
    let (w, h) = (300.0, 200.0)
    var minU = Double(map.u[feature]) - 45, maxU = Double(map.u[feature]) + 45
    var minV = Double(map.v[feature]) - 30, maxV = Double(map.v[feature]) + 30
    for j in neighbours {
      minU = min(minU, Double(map.u[j])); maxU = max(maxU, Double(map.u[j]))
      minV = min(minV, Double(map.v[j])); maxV = max(maxV, Double(map.v[j]))
    }
    // Pad by 12% and widen one side so the box has the window's aspect ratio.
    let padU = (maxU - minU) * 0.12, padV = (maxV - minV) * 0.12
    minU -= padU; maxU += padU; minV -= padV; maxV += padV
    let aspect = w / h
    if (maxU - minU) / (maxV - minV) > aspect {
      let extra = (maxU - minU) / aspect - (maxV - minV)
      minV -= extra / 2; maxV += extra / 2
    } else {
      let extra = (maxV - minV) * aspect - (maxU - minU)
      minU -= extra / 2; maxU += extra / 2
    }
    let s = w / (maxU - minU)
    func px(_ i: Int) -> [String] {
      [SVG.coordinate((Double(map.u[i]) - minU) * s), SVG.coordinate((Double(map.v[i]) - minV) * s)]
    }
    // The image placed at two decimals: at a zoom of 3, a tenth of a unit would shift the dots by a third
    // of a pixel.
    return FeatureData.Minimap(
      layer: pointsLayer(scale: s),
      image: [SVG.fine(-minU * s), SVG.fine(-minV * s), SVG.fine(MapGeometry.width * s), SVG.fine(MapGeometry.height * s)],
      me: px(feature),
      points: neighbours.map { px($0) + [Palette.colour(cluster: map.assignment.first?[$0] ?? -1), input.naming.id($0)] })
  }

  // MARK: - Shared point layers

  /// How wide a context dot of a neighbourhood window is drawn, in window pixels (the window is 300 wide).
  static let minimapDot = 2.6

  /// Stroke widths of the shared point layers, in map units: a factor √2 apart, so whatever a window's
  /// zoom (from the whole map, 0.3×, to the closest, about 2.7×), some layer draws its dots within a
  /// factor 1.19 of `minimapDot`.
  static let pointWidths: [Double] = [0.75, 1.05, 1.5, 2.1, 3, 4.2, 6, 8.5, 12, 17]

  /// `data/points-K.svg`: every point of the map, coloured by coarse cluster, with stroke width
  /// `pointWidths[K]`.
  static func pointsFile(_ layer: Int) -> String { "data/points-\(layer).svg" }

  /// The layer whose dots, scaled by `scale`, come closest to `minimapDot` (in ratio).
  static func pointsLayer(scale: Double) -> Int {
    let want = minimapDot / max(scale, 1e-9)
    var best = 0
    for (k, width) in pointWidths.enumerated() where abs(log(width / want)) < abs(log(pointWidths[best] / want)) { best = k }
    return best
  }

  /// The points layer `layer` as an SVG file in map coordinates: one path per coarse cluster
  /// (unclustered underneath), drawn as the neighbourhood windows drew them inline (`.minimap .pt`).
  static func pointsSVG(_ input: SiteInput, layer: Int) -> String {
    let map = input.map
    let coarse = map.assignment.first ?? Array(repeating: -1, count: map.count)
    var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(SVG.coordinate(MapGeometry.width)) "
      + "\(SVG.coordinate(MapGeometry.height))\"><g fill=\"none\" stroke-width=\"\(SVG.coordinate(pointWidths[layer]))\" "
      + "stroke-linecap=\"round\" stroke-opacity=\".45\">"
    for (colour, members) in colourGroups(coarse, stride: 1) {
      var dots = SVG.Dots()
      for i in members { dots.add(Double(map.u[i]), Double(map.v[i])) }
      out += "<path stroke=\"\(colour)\" d=\"\(dots.d)\"/>"
    }
    return out + "</g></svg>\n"
  }

  // MARK: - Footprint of one cluster

  /// The `d` of a thinned path over all points (about 4,000), drawn in grey under every footprint.
  static func backdrop(_ map: MapGeometry) -> String {
    let stride = max(1, map.count / 4000)
    var dots = SVG.Dots()
    for i in Swift.stride(from: 0, to: map.count, by: stride) { dots.add(Double(map.u[i]), Double(map.v[i])) }
    return dots.d
  }

  /// Where the backdrop is written, relative to `site/`.
  static let backdropFile = "data/backdrop.svg"

  /// `data/backdrop.svg`: the backdrop drawn as the footprints drew it inline (grey, the `.footprint .rest`
  /// stroke), as one file every cluster page shows: inline, those ~4,000 dots were half of each of the
  /// atlas's few hundred cluster pages.
  static func backdropSVG(_ d: String) -> String {
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(SVG.coordinate(MapGeometry.width)) \(SVG.coordinate(MapGeometry.height))\">"
      + "<path fill=\"none\" stroke=\"\(Palette.unclustered)\" stroke-width=\"4\" stroke-linecap=\"round\" stroke-opacity=\".35\" d=\"\(d)\"/></svg>\n"
  }

  /// The whole map in grey (the shared backdrop at `backdropHref`) with the cluster's members (at most
  /// ~6,000 drawn) in their colour.
  static func footprint(name: String, members: [Int], colour: String, backdropHref: String, map: MapGeometry) -> String {
    var svg = SVG(width: MapGeometry.width, height: MapGeometry.height, className: "footprint",
                  label: "Where cluster “\(name)” lies on the map (\(Format.count(members.count)) features highlighted)")
    svg.rect(x: 0, y: 0, width: MapGeometry.width, height: MapGeometry.height, className: "map-bg")
    svg.raw("<image href=\"\(Markup.escape(backdropHref))\" x=\"0\" y=\"0\" width=\"\(SVG.coordinate(MapGeometry.width))\" "
      + "height=\"\(SVG.coordinate(MapGeometry.height))\"/>")
    let stride = max(1, members.count / 6000)
    var dots = SVG.Dots()
    for k in Swift.stride(from: 0, to: members.count, by: stride) { dots.add(Double(map.u[members[k]]), Double(map.v[members[k]])) }
    svg.path(dots.d, className: "pt member", stroke: colour)
    return svg.finished()
  }
}

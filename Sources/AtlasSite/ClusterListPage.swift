import AtlasArtifacts
import Mustache

/// `clusters/index.html`: every cluster of every level in one table (sortable and filterable in the
/// browser by site/tables.js; a plain table without JavaScript).
struct ClusterListView: MustacheParent {
  var chrome: ChromeView
  var rows: [ClusterRowView]
  var summary: String

  func child(named name: String) -> Any? {
    switch name {
    case "chrome": chrome
    case "rows": rows
    case "summary": summary
    default: nil
    }
  }
}

struct ClusterRowView: MustacheParent {
  var href: String
  var label: String
  var level: String
  var levelIndex: String
  var size: String
  var sizeValue: String
  var parent: String
  var density: String               // median density of its members
  var densityValue: String          // for sorting (a plain number)
  var contradicted: String          // share of members whose name is not supported
  var contradictedValue: String
  var colour: String
  func child(named name: String) -> Any? {
    switch name {
    case "href": href
    case "label": label
    case "level": level
    case "levelIndex": levelIndex
    case "size": size
    case "sizeValue": sizeValue
    case "parent": parent
    case "density": density
    case "densityValue": densityValue
    case "contradicted": contradicted
    case "contradictedValue": contradictedValue
    case "colour": colour
    default: nil
    }
  }
}

enum ClusterListPage {
  static let file = "clusters/index.html"

  static func view(_ input: SiteInput, tables: ClusterTables) -> ClusterListView {
    var rows: [ClusterRowView] = []
    for (level, record) in input.hierarchy.levels.enumerated() {
      for c in record.clusters {
        let members = tables.members[level][c.id]
        let densities = members.map { input.summaries[$0].density }.sorted()
        let median = densities.isEmpty ? 0 : densities[densities.count / 2]
        let unsupported = members.filter { input.summaries[$0].label.contradicted }.count
        let share = members.isEmpty ? 0 : Double(unsupported) / Double(members.count)
        let parent = c.parent.flatMap { input.cluster(level: level - 1, id: $0) }.map { Markup.displayable($0.label) } ?? ""
        let coarse = members.first.map { input.map.assignment[0][$0] } ?? (level == 0 ? c.id : -1)
        rows.append(ClusterRowView(
          href: input.naming.clusterFile(level: level, id: c.id), label: Markup.displayable(c.label),
          level: Markup.displayable(record.name), levelIndex: String(level), size: Format.count(members.count),
          sizeValue: String(members.count), parent: parent, density: Format.percent(median), densityValue: String(median),
          contradicted: Format.percent(share), contradictedValue: String(share), colour: Palette.colour(cluster: coarse)))
      }
    }
    let levels = input.hierarchy.levels.map { "\($0.clusters.count) \(Markup.displayable($0.name))" }.joined(separator: ", ")
    return ClusterListView(
      chrome: ChromeView.make(input, title: "Clusters", root: "../", current: "clusters", bodyClass: "page-clusters",
                              scripts: ["assets/tables.js"]),
      rows: rows, summary: "\(Format.count(rows.count)) clusters on \(input.hierarchy.levels.count) levels (\(levels)), coarse to fine.")
  }
}

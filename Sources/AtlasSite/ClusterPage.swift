import AtlasArtifacts
import Mustache

/// `clusters/<level>-<id>[-pN].html`: a cluster's name, terms, place in the hierarchy and members.
struct ClusterView: MustacheParent {
  var chrome: ChromeView
  var levelName: String
  var label: String
  var colour: String
  var size: String
  var terms: [String]
  var breadcrumb: [LinkView]
  var children: [LinkView]
  var childLevelName: String
  var representative: [LinkView]
  var members: [MemberView]
  var pages: [NavView]
  var rangeNote: String
  var footprintSVG: String

  func child(named name: String) -> Any? {
    switch name {
    case "chrome": chrome
    case "levelName": levelName
    case "label": label
    case "colour": colour
    case "size": size
    case "terms": terms
    case "hasTerms": !terms.isEmpty
    case "breadcrumb": breadcrumb
    case "children": children
    case "hasChildren": !children.isEmpty
    case "childLevelName": childLevelName
    case "representative": representative
    case "members": members
    case "pages": pages
    case "hasPages": pages.count > 1
    case "rangeNote": rangeNote
    case "footprintSVG": footprintSVG
    default: nil
    }
  }
}

struct MemberView: MustacheParent {
  var href: String
  var index: String
  var id: String
  var label: String
  var density: String
  var densityValue: String          // plain numbers for sorting (data-sort)
  var maxActivation: String
  var maxValue: String
  var evidence: String              // "0.91", "—" (insufficient), "n/a"
  var evidenceValue: String
  var contradicted: Bool
  var dead: Bool
  var finer: String
  func child(named name: String) -> Any? {
    switch name {
    case "href": href
    case "index": index
    case "id": id
    case "label": label
    case "density": density
    case "densityValue": densityValue
    case "maxActivation": maxActivation
    case "maxValue": maxValue
    case "evidence": evidence
    case "evidenceValue": evidenceValue
    case "contradicted": contradicted
    case "dead": dead
    case "finer": finer
    default: nil
    }
  }
}

/// Members and children of every cluster, computed in one pass per level (no per-cluster scans).
struct ClusterTables: Sendable {
  let members: [[[Int]]]        // [level][cluster] feature indices, ascending
  let children: [[[Int]]]       // [level][cluster] cluster ids at level + 1
  let backdrop: String          // thinned grey points under every footprint (`MapSVG.backdropFile`)

  init(_ input: SiteInput) {
    var members: [[[Int]]] = []
    var children: [[[Int]]] = []
    for (level, record) in input.hierarchy.levels.enumerated() {
      var lists = [[Int]](repeating: [], count: record.clusters.count)
      for (i, c) in input.map.assignment[level].enumerated() where c >= 0 { lists[c].append(i) }
      members.append(lists)
      var kids = [[Int]](repeating: [], count: record.clusters.count)
      if level + 1 < input.hierarchy.levels.count {
        for c in input.hierarchy.levels[level + 1].clusters {
          if let p = c.parent, p >= 0, p < kids.count { kids[p].append(c.id) }
        }
      }
      children.append(kids)
    }
    self.members = members
    self.children = children
    backdrop = MapSVG.backdrop(input.map)
  }
}

enum ClusterPage {
  /// Number of pages for a cluster of `size` members.
  static func pageCount(size: Int, perPage: Int) -> Int { max(1, (size + perPage - 1) / max(1, perPage)) }

  static func view(level: Int, id: Int, page: Int, perPage: Int, input: SiteInput, tables: ClusterTables) -> ClusterView {
    let root = "../"
    let naming = input.naming
    let levels = input.hierarchy.levels
    let cluster = levels[level].clusters[id]
    let members = tables.members[level][id]
    let pageCount = pageCount(size: members.count, perPage: perPage)
    let coarseId = ancestors(level: level, id: id, input: input).first?.id ?? id
    let colour = members.first.map { Palette.colour(cluster: input.map.assignment[0][$0]) } ?? Palette.colour(cluster: coarseId)

    let chain = ancestors(level: level, id: id, input: input) + [cluster]
    let breadcrumb = chain.map { c in
      LinkView(href: naming.clusterFile(level: c.level, id: c.id), text: Markup.displayable(c.label), detail: levels[c.level].name)
    }
    let children = tables.children[level][id].map { k -> LinkView in
      let c = levels[level + 1].clusters[k]
      return LinkView(href: naming.clusterFile(level: level + 1, id: k), text: Markup.displayable(c.label), detail: Format.count(c.size))
    }
    let first = (page - 1) * perPage
    let slice = members[min(first, members.count) ..< min(first + perPage, members.count)]
    let finerLevel = level + 1 < levels.count ? level + 1 : nil
    let rows = slice.map { i -> MemberView in
      let s = input.summaries[i]
      var finer = ""
      if let finerLevel, let c = input.cluster(level: finerLevel, id: input.map.assignment[finerLevel][i]) {
        finer = Markup.displayable(c.label)
      }
      let grade = EvidenceGrade(s.evidence, contradicted: s.label.contradicted)
      return MemberView(href: naming.featureHref(i, root: root), index: String(i), id: naming.id(i),
                        label: Markup.displayable(s.label.text), density: Format.percent(s.density), densityValue: String(s.density),
                        maxActivation: Format.activation(s.maxActivation), maxValue: String(s.maxActivation),
                        evidence: grade.score, evidenceValue: s.evidence.map { grade.insufficient ? "-1" : String($0.balancedAccuracy) } ?? "-2",
                        contradicted: s.label.contradicted, dead: s.flags.contains(.dead), finer: finer)
    }
    let pages = pageCount > 1 ? (1 ... pageCount).map {
      NavView(href: naming.clusterFile(level: level, id: id, page: $0), text: String($0), current: $0 == page)
    } : []
    let rep = cluster.representative
    let representative = rep >= 0 && rep < input.summaries.count
      ? [LinkView(href: naming.featureHref(rep, root: root), text: naming.id(rep),
                  note: Markup.displayable(input.summaries[rep].label.text))] : []
    return ClusterView(
      chrome: ChromeView.make(input, title: "\(levels[level].name) cluster · \(cluster.label)", root: root, current: "clusters", bodyClass: "page-cluster",
                              scripts: ["assets/tables.js"]),
      levelName: Markup.displayable(levels[level].name), label: Markup.displayable(cluster.label), colour: colour,
      size: Format.count(members.count), terms: cluster.terms.map { Markup.displayable($0) },
      breadcrumb: breadcrumb, children: children,
      childLevelName: finerLevel.map { Markup.displayable(levels[$0].name.capitalizedFirst) + " clusters" } ?? "",
      representative: representative, members: rows, pages: pages,
      rangeNote: members.isEmpty ? "No features." : "Features \(Format.count(first + 1))–\(Format.count(first + slice.count)) of \(Format.count(members.count)), by id.",
      footprintSVG: MapSVG.footprint(name: cluster.label, members: members, colour: colour, backdropHref: root + MapSVG.backdropFile,
                                     map: input.map))
  }

  /// Coarse-to-fine ancestors of a cluster (not including it), following `parent`.
  static func ancestors(level: Int, id: Int, input: SiteInput) -> [ClusterRecord] {
    var chain: [ClusterRecord] = []
    var current = input.cluster(level: level, id: id)
    while let c = current, c.level > 0, let p = c.parent, let parent = input.cluster(level: c.level - 1, id: p), chain.count < 16 {
      chain.insert(parent, at: 0)
      current = parent
    }
    return chain
  }
}

import AtlasArtifacts
import Dispatch
import Foundation

/// Renders a diff's static site `D/site/` from `D/diff.json` and the two atlases' artifacts, in the atlas's
/// style (its `atlas.css`, page chrome and escaping): a summary page with the aligned maps, a list page per
/// status with search, and a page per matched pair that links to both atlases' feature pages.
public struct DiffSiteRenderer: Sendable {
  public let resources: SiteResources
  /// Lines drawn on the overlay (the longest movements first).
  public var overlayLines = 3000
  public init(resources: SiteResources) { self.resources = resources }

  public struct Report: Sendable {
    public var pages: Int
    public var files: Int
    public var bytes: Int
    public var seconds: Double
  }

  static let pageNames = ["diff-index", "diff-list", "diff-pair"]

  @discardableResult
  public func render(diff: DiffRecord, a: URL, b: URL, output: URL) throws -> Report {
    let start = Date()
    let templates = try Templates(directory: resources.templates, pages: Self.pageNames, partials: ["head", "header", "footer"])
    let sideA = try DiffSiteSide.read(AtlasDirectory(a), latents: diff.a.latents, name: "A")
    let sideB = try DiffSiteSide.read(AtlasDirectory(b), latents: diff.b.latents, name: "B")
    let site = output.appendingPathComponent("site")
    let staging = output.appendingPathComponent(".site.partial-\(getpid())")
    try? FileManager.default.removeItem(at: staging)
    do {
      let writer = try SiteWriter(root: staging, subdirectories: ["assets", "lists", "pairs"])
      try writer.copyAssets(from: resources.assets)
      let pages = DiffPages(diff: diff, a: sideA, b: sideB, site: site, overlayLines: overlayLines)
      var count = 0
      try writer.write(try templates.render(pages.index(), page: "diff-index"), to: "index.html")
      count += 1
      for status in DiffStatus.allCases {
        try writer.write(try templates.render(pages.list(status), page: "diff-list"), to: "lists/\(status.rawValue).html")
        count += 1
      }
      let failures = ErrorList()
      DispatchQueue.concurrentPerform(iterations: diff.pairs.count) { p in
        failures.run {
          let pair = diff.pairs[p]
          try writer.write(try templates.render(pages.pair(pair), page: "diff-pair"), to: pages.pairFile(pair))
        }
      }
      try failures.check()
      count += diff.pairs.count
      try SiteWriter.swap(staging, into: site)
      return Report(pages: count, files: writer.files, bytes: writer.bytes, seconds: Date().timeIntervalSince(start))
    } catch {
      try? FileManager.default.removeItem(at: staging)
      throw error
    }
  }
}

/// The view models of the diff pages (plain dictionaries: the templates only place what is here).
struct DiffPages: Sendable {
  let diff: DiffRecord
  let a: DiffSiteSide
  let b: DiffSiteSide
  let site: URL
  let overlayLines: Int
  let statusA: [DiffStatus]
  let statusB: [DiffStatus]

  init(diff: DiffRecord, a: DiffSiteSide, b: DiffSiteSide, site: URL, overlayLines: Int) {
    self.diff = diff; self.a = a; self.b = b; self.site = site; self.overlayLines = overlayLines
    (statusA, statusB) = diff.statuses()
  }

  static let titles: [DiffStatus: (String, String)] = [
    .matched: ("Matched", "features of A with a one-to-one partner in B whose label, density and top tokens stayed within bounds"),
    .changed: ("Changed", "pairs that are alike (direction or activations) but whose label, density or top tokens moved beyond the bounds"),
    .split: ("Split", "features of A explained by a combination of several B features (and those B features)"),
    .merged: ("Merged", "features of B explained by a combination of several A features (and those A features)"),
    .vanished: ("Vanished", "features of A with no partner and no group in B"),
    .new: ("New", "features of B with no partner and no group in A"),
  ]

  func chrome(title: String, root: String, current: String) -> [String: Any] {
    var nav: [[String: Any]] = [["href": root + "index.html", "text": "Summary", "current": current == "index"]]
    for status in DiffStatus.allCases {
      nav.append(["href": root + "lists/\(status.rawValue).html", "text": Self.titles[status]?.0 ?? status.rawValue, "current": current == status.rawValue])
    }
    return ["pageTitle": Markup.displayable(title), "siteTitle": Markup.displayable("Diff: \(a.title) → \(b.title)"), "root": root,
            "nav": nav, "scripts": [root + "assets/diff.js", root + "assets/page.js"], "bodyClass": "diff",
            "footer": "feature-atlas diff · built from diff.json and the two atlases' artifacts · works offline, no network requests"]
  }

  func pairFile(_ pair: DiffPairRecord) -> String { "pairs/\(a.naming.id(pair.a))-\(b.naming.id(pair.b)).html" }

  func featureCell(_ side: DiffSiteSide, _ i: Int, from directory: URL, name: String) -> [String: Any] {
    var cell: [String: Any] = ["id": "\(name) " + side.naming.id(i), "label": side.label(i), "hasHref": false]
    if let link = side.featureLink(i, from: directory) { cell["href"] = link; cell["hasHref"] = true }
    return cell
  }

  /// "cosine" or "correlation": what a pair's similarity is, in the lists.
  var similarityWord: String { diff.summary.measuredBy.byActivations ? "correlation" : "cosine" }

  // MARK: - Summary

  func index() -> [String: Any] {
    let s = diff.summary
    var view: [String: Any] = ["chrome": chrome(title: "Summary", root: "", current: "index"),
                               "titleA": Markup.displayable(a.title), "titleB": Markup.displayable(b.title),
                               "pathA": Markup.displayable(diff.a.path), "pathB": Markup.displayable(diff.b.path),
                               "sentence": Markup.displayable(s.sentence)]
    view["counts"] = DiffStatus.allCases.map { status -> [String: Any] in
      let (title, hint) = Self.titles[status] ?? (status.rawValue, "")
      return ["name": title, "hint": hint, "colour": DiffMaps.colour(status), "href": "lists/\(status.rawValue).html",
              "a": status == .new ? "—" : Format.count(s.countsA[status.rawValue] ?? 0),
              "b": status == .vanished ? "—" : Format.count(s.countsB[status.rawValue] ?? 0)]
    }
    var figures: [[String: String]] = [
      ["key": "Shared (of A's features)", "value": Format.percent(s.sharedFraction)],
      ["key": "Shared (of B's features)", "value": Format.percent(s.sharedFractionB)],
      ["key": "Shared (of A's live features)", "value": Format.percent(s.sharedFractionLive)],
      ["key": "Mean \(s.measuredBy.words) of pairs", "value": Format.fixed(s.meanSimilarity, digits: 3)],
      ["key": "Match threshold (\(s.measuredBy.words))",
       "value": Self.parameter(diff.parameters, s.measuredBy.byActivations ? "correlationThreshold" : "matchThreshold")],
    ]
    let basis = s.measuredBy
    figures.append(["key": "Features compared by", "value": basis.words + (basis.byActivations ? ", " : " (") + basis.reason + (basis.byActivations ? "" : ")")])
    if basis.byActivations, let tokens = basis.tokens {
      figures.append(["key": "Shared tokens", "value": Format.count(tokens) + (basis.windows.map { " in \(Format.count($0)) of A's held-out windows" } ?? "")])
      if let sourceA = basis.sourceA, let sourceB = basis.sourceB {
        figures.append(["key": "Activations on them", "value": "A: \(sourceA); B: \(sourceB)"])
      }
      if let floor = basis.minimumFirings, let ma = basis.matchableA, let mb = basis.matchableB {
        figures.append(["key": "Features firing ≥ \(floor) times there (comparable)", "value": "A \(Format.count(ma)), B \(Format.count(mb))"])
      }
    }
    for (level, ami) in s.clusterAgreement.sorted(by: { $0.key < $1.key }) {
      figures.append(["key": "Cluster agreement, \(level) level (AMI on pairs)", "value": Format.fixed(ami, digits: 3)])
    }
    if let median = s.substitution["medianDeltaFVU"], let baseline = s.substitution["baselineFVU"] {
      figures.append(["key": "A's FVU on held-out activations", "value": Format.fixed(baseline, digits: 4)])
      figures.append(["key": "Median FVU change, B's latent substituted for A's", "value": Format.number(median)])
      figures.append(["key": "Pairs that look alike but act differently", "value": Format.count(Int(s.substitution["actsDifferently"] ?? 0))])
    }
    view["figures"] = figures
    view["deltas"] = s.runDeltas.map { d -> [String: Any] in
      ["group": d.group, "name": Markup.displayable(d.name), "a": Markup.displayable(Self.display(d.a)), "b": Markup.displayable(Self.display(d.b)),
       "state": d.same ? "same" : "differs", "differs": !d.same]
    }
    if let alignment = diff.alignment, let ax = a.x, let ay = a.y, let bx = b.x, let by = b.y {
      let pa = zip(ax, ay).map { (Double($0), Double($1)) }
      let pb = zip(bx, by).map { alignment.apply(x: Double($0), y: Double($1)) }.map { ($0.x, $0.y) }
      let frame = DiffMaps.frame(pa + pb)
      view["hasMaps"] = true
      view["mapA"] = DiffMaps.statusMap(label: "A's map coloured by status (vanished and split highlighted)", points: pa, statuses: statusA,
                                        frame: frame, highlight: [.vanished, .split])
      view["mapB"] = DiffMaps.statusMap(label: "B's map aligned onto A's, coloured by status (new highlighted)", points: pb, statuses: statusB,
                                        frame: frame, highlight: [.new, .split])
      view["overlay"] = DiffMaps.overlay(pairs: diff.pairs, a: pa, b: pb, statusA: statusA, statusB: statusB, frame: frame, lineLimit: overlayLines)
      view["alignment"] = "B's map was \(alignment.reflected ? "reflected, " : "")rotated by \(Format.fixed(alignment.rotation * 180 / .pi, digits: 1))° "
        + "and scaled by \(Format.fixed(alignment.scale, digits: 3)) onto A's using \(Format.count(alignment.pairs)) matched features; "
        + "the pairs then sit \(Format.fixed(alignment.rmsAfter, digits: 2)) apart on average (RMS; \(Format.fixed(alignment.rmsBefore, digits: 2)) "
        + "before rotating), against a map radius of \(Format.fixed(alignment.extentA, digits: 2))."
      view["lineNote"] = diff.pairs.count > overlayLines ? "The overlay draws the \(Format.count(overlayLines)) longest of \(Format.count(diff.pairs.count)) movements." : ""
    } else {
      view["hasMaps"] = false
    }
    view["legend"] = DiffStatus.allCases.map { ["name": Self.titles[$0]?.0 ?? $0.rawValue, "colour": DiffMaps.colour($0)] }
    return view
  }

  static func parameter(_ parameters: JSONValue, _ key: String) -> String {
    if case .object(let o) = parameters, let value = o[key] { return display(value) }
    return "n/a"
  }

  static func display(_ value: JSONValue) -> String {
    switch value {
    case .null: "—"
    case .bool(let b): b ? "yes" : "no"
    case .number(let x): x == x.rounded() && abs(x) < 1e15 ? Format.count(Int(x)) : Format.number(x)
    case .string(let s): s
    case .array, .object: String(decoding: (try? CanonicalJSON.encodeCompact(value)) ?? Data(), as: UTF8.self)
    }
  }

  // MARK: - Lists

  func list(_ status: DiffStatus) -> [String: Any] {
    let (title, hint) = Self.titles[status] ?? (status.rawValue, "")
    let directory = site.appendingPathComponent("lists")
    var rows: [[String: Any]] = []
    func search(_ parts: [String]) -> String { parts.joined(separator: " ").lowercased() }
    switch status {
    case .matched, .changed:
      for pair in diff.pairs where pair.status == status {
        let ca = featureCell(a, pair.a, from: directory, name: "A"), cb = featureCell(b, pair.b, from: directory, name: "B")
        rows.append(["a": [ca], "b": [cb], "href": "../" + pairFile(pair),
                     "detail": "\(similarityWord) \(Format.fixed(pair.similarity, digits: 3))" + (pair.changes.isEmpty ? "" : " · changed: " + pair.changes.joined(separator: ", "))
                       + (pair.actsDifferently ? " · acts differently" : ""),
                     "search": search([ca["id"] as? String ?? "", ca["label"] as? String ?? "", cb["id"] as? String ?? "", cb["label"] as? String ?? ""])])
      }
    case .split:
      for s in diff.splits {
        let ca = featureCell(a, s.a, from: directory, name: "A")
        let cb = s.b.map { featureCell(b, $0, from: directory, name: "B") }
        rows.append(["a": [ca], "b": cb, "detail": "group explains \(Format.fixed(s.explained, digits: 3)), best single \(Format.fixed(s.bestSingle, digits: 3))",
                     "search": search([ca["id"] as? String ?? "", ca["label"] as? String ?? ""] + cb.map { "\($0["id"] ?? "") \($0["label"] ?? "")" })])
      }
    case .merged:
      for m in diff.merges {
        let ca = m.a.map { featureCell(a, $0, from: directory, name: "A") }
        let cb = featureCell(b, m.b, from: directory, name: "B")
        rows.append(["a": ca, "b": [cb], "detail": "group explains \(Format.fixed(m.explained, digits: 3)), best single \(Format.fixed(m.bestSingle, digits: 3))",
                     "search": search(ca.map { "\($0["id"] ?? "") \($0["label"] ?? "")" } + [cb["id"] as? String ?? "", cb["label"] as? String ?? ""])])
      }
    case .vanished, .new:
      let isA = status == .vanished
      for u in isA ? diff.unmatchedA : diff.unmatchedB {
        let own = featureCell(isA ? a : b, u.feature, from: directory, name: isA ? "A" : "B")
        var nearest: [[String: Any]] = []
        if let n = u.nearest { nearest = [featureCell(isA ? b : a, n, from: directory, name: isA ? "B" : "A")] }
        let detail = u.nearestSimilarity.map { "nearest \(similarityWord) \(Format.fixed($0, digits: 3))" } ?? ""
        rows.append(["a": isA ? [own] : nearest, "b": isA ? nearest : [own], "detail": detail,
                     "search": search([own["id"] as? String ?? "", own["label"] as? String ?? ""])])
      }
    }
    let isNew = status == .new, isVanished = status == .vanished
    return ["chrome": chrome(title: title, root: "../", current: status.rawValue), "title": title, "hint": hint, "rows": rows,
            "count": Format.count(rows.count), "colour": DiffMaps.colour(status), "hasRows": !rows.isEmpty,
            "headA": isNew ? "Nearest in A" : "A", "headB": isVanished ? "Nearest in B" : "B"]
  }

  // MARK: - Pair pages

  func pair(_ pair: DiffPairRecord) -> [String: Any] {
    let directory = site.appendingPathComponent("pairs")
    func column(_ side: DiffSiteSide, _ i: Int, name: String) -> [String: Any] {
      var view = featureCell(side, i, from: directory, name: name)
      guard let records = side.records, i < records.count else { return view }
      let r = records[i]
      view["facts"] = [
        ["key": "Density", "value": Format.percent(r.density)],
        ["key": "Max activation", "value": Format.activation(r.maxActivation)],
        ["key": "Label evidence", "value": (r.label.evidence.map { "balanced accuracy \(Format.fixed($0.balancedAccuracy, digits: 2))" } ?? "none")
          + (r.label.contradicted ? " (contradicted)" : "")],
      ]
      view["topTokens"] = r.topTokens.prefix(10).map { ["token": Markup.tokenText($0.token), "detail": Format.count($0.count)] }
      view["promoted"] = r.promotedTokens.prefix(8).map { ["token": Markup.tokenText($0.token), "detail": Format.fixed($0.value, digits: 2)] }
      view["suppressed"] = r.suppressedTokens.prefix(8).map { ["token": Markup.tokenText($0.token), "detail": Format.fixed($0.value, digits: 2)] }
      let scale = r.maxActivation > 0 ? r.maxActivation : (r.topExamples.first?.activations.max() ?? 1)
      view["examples"] = r.topExamples.map { w in
        let peak = w.peak >= 0 && w.peak < w.activations.count ? w.activations[w.peak] : 0
        let peakToken = w.peak >= 0 && w.peak < w.tokens.count ? Markup.tokenText(w.tokens[w.peak]) : ""
        return TokenStrip.figure(w, scale: scale, caption: "\(w.source) · peak \(Format.activation(peak)) on “\(peakToken)”")
      }.joined()
      view["hasExamples"] = !r.topExamples.isEmpty
      return view
    }
    var figures: [[String: String]] = [
      ["key": "Status", "value": pair.status.rawValue + (pair.changes.isEmpty ? "" : " (" + pair.changes.joined(separator: ", ") + ")")],
      ["key": diff.summary.measuredBy.byActivations ? "Activation correlation" : "Decoder cosine", "value": Format.fixed(pair.similarity, digits: 4)],
    ]
    if let encoder = pair.encoderSimilarity { figures.append(["key": "Encoder cosine", "value": Format.fixed(encoder, digits: 4)]) }
    if let delta = pair.substitutionDeltaFVU {
      figures.append(["key": "FVU change, B's latent in place of A's", "value": Format.number(delta)])
    }
    if let ablation = pair.ablationDeltaFVU {
      figures.append(["key": "FVU change, A's latent removed", "value": Format.number(ablation)])
      figures.append(["key": "Acts alike", "value": pair.actsDifferently ? "no: the substitution costs more than half of removing it" : "yes"])
    }
    let title = "A \(a.naming.id(pair.a)) ↔ B \(b.naming.id(pair.b))"
    return ["chrome": chrome(title: title, root: "../", current: pair.status.rawValue), "title": title, "figures": figures,
            "a": column(a, pair.a, name: "A"), "b": column(b, pair.b, name: "B"), "colour": DiffMaps.colour(pair.status)]
  }
}

import AtlasArtifacts
import CLibXML2
import Foundation
import TestSupport
import Testing

import AtlasSite

@Suite("Rendering a synthetic atlas")
struct RenderTests {
  @Test("Writes the index, one page per feature and cluster, the run and steering pages, assets and map data")
  func writesEveryPage() throws {
    let (atlas, report) = try SharedAtlas.normal.get()
    let files = Set(SiteFixture.files(under: atlas.site))
    for page in ["index.html", "run.html", "steering.html", "assets/atlas.css", "assets/map.js", "assets/search.js", "assets/page.js",
                 "assets/favicon.svg", "data/map-meta.js", "data/map-000.js"] {
      #expect(files.contains(page), "missing \(page)")
    }
    for i in 0 ..< 300 { #expect(files.contains("features/f\(String(format: "%03d", i)).html")) }
    #expect(files.filter { $0.hasPrefix("features/") }.count == 300)
    #expect(files.contains("clusters/0-0.html") && files.contains("clusters/1-17.html") && files.contains("clusters/2-47.html"))
    #expect(report.features == 300 && report.clusters == 6 + 18 + 48)
    #expect(report.files == files.count)
    let bytes = try files.reduce(0) {
      $0 + ((try FileManager.default.attributesOfItem(atPath: atlas.site.appendingPathComponent($1).path)[.size] as? Int) ?? 0)
    }
    #expect(report.bytes == bytes)
    #expect(!FileManager.default.fileExists(atPath: atlas.root.appendingPathComponent(".site.partial-\(getpid())").path))
  }

  @Test("Every page is well-formed XHTML with a Content-Security-Policy and no inline script, style or handler")
  func wellFormedAndLockedDown() throws {
    let (atlas, _) = try SharedAtlas.normal.get()
    for page in SiteFixture.pages(atlas) {
      let xml = try XMLPage(Data(contentsOf: atlas.site.appendingPathComponent(page)), name: page)
      let elements = xml.elements()
      let csp = elements.first { XMLPage.name($0) == "meta" && XMLPage.attribute($0, "http-equiv") == "Content-Security-Policy" }
      let policy = csp.flatMap { XMLPage.attribute($0, "content") } ?? ""
      #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && policy.contains("style-src 'self'"), "\(page)")
      for element in elements {
        let name = XMLPage.name(element)
        #expect(name != "style", "\(page) has a <style> element")
        if name == "script" { #expect(XMLPage.attribute(element, "src") != nil, "\(page) has an inline script") }
        for (attribute, value) in XMLPage.attributes(element) {
          #expect(!attribute.lowercased().hasPrefix("on"), "\(page): <\(name) \(attribute)>")
          #expect(attribute != "style", "\(page): <\(name) style=…>")
          #expect(!value.lowercased().hasPrefix("javascript:"), "\(page): \(attribute)=\(value)")
        }
      }
    }
  }

  @Test("Every link and script points to a file of the site; nothing points outside it")
  func linksResolve() throws {
    let (atlas, _) = try SharedAtlas.normal.get()
    let site = atlas.site.standardizedFileURL.path
    var checked = 0
    for page in SiteFixture.pages(atlas) {
      let url = atlas.site.appendingPathComponent(page)
      // Feature pages twice: as written and as their script draws them (neighbour links, the point layer); the
      // drawn JSON button is a blob: URL of the page's own data.
      var documents = [try XMLPage(Data(contentsOf: url), name: page)]
      if page.hasPrefix("features/f"), let index = Int(page.dropFirst("features/f".count).prefix(3)), SiteFixture.isDrawnSample(index) {
        documents.append(try XMLPage(Data(SiteFixture.drawn(atlas.site, page).utf8), name: page))
      }
      for element in documents.flatMap({ $0.elements() }) {
        for attribute in ["href", "src"] {
          guard let target = XMLPage.attribute(element, attribute), !target.hasPrefix("#"), !target.hasPrefix("blob:") else { continue }
          #expect(!target.contains("://") && !target.hasPrefix("//") && !target.hasPrefix("data:"), "\(page) links to \(target)")
          let file = String(target.split(separator: "#", maxSplits: 1).first ?? "")
          let resolved = url.deletingLastPathComponent().appendingPathComponent(file).standardizedFileURL.path
          #expect(resolved.hasPrefix(site + "/"), "\(page): \(target) leaves the site")
          #expect(FileManager.default.fileExists(atPath: resolved), "\(page): \(target) does not exist")
          checked += 1
        }
      }
    }
    #expect(checked > 10_000)
  }

  @Test("A feature page shows its label, evidence, examples, samples, logit effects, neighbours and cluster path")
  func featurePage() throws {
    let (atlas, _) = try SharedAtlas.normal.get()
    let record = try SiteFixture.record(42, in: atlas)
    // The page as its script draws it (examples, histogram, logit effects, neighbours are drawn from its data).
    let html = try SiteFixture.drawn(atlas.site, "features/f042.html")
    let text = try XMLPage(Data(html.utf8), name: "f042").textContent()
    #expect(text.contains(record.label.text))
    #expect(text.contains("Balanced accuracy \(Format.fixed(record.label.evidence?.balancedAccuracy ?? 0, digits: 2))"))
    #expect(text.contains(Format.percent(record.density)) && text.contains(Format.activation(record.maxActivation)))
    for group in record.quantileSamples + record.intervalSamples { #expect(text.contains(group.title)) }
    #expect(text.contains("Quantile samples") && text.contains("Interval samples"))
    for token in record.promotedTokens + record.suppressedTokens { #expect(text.contains(Markup.tokenText(token.token))) }
    for n in record.decoderNeighbours { #expect(html.contains("href=\"f\(String(format: "%03d", n.feature)).html\"")) }
    // Cluster path coarse > middle > fine, each a link.
    for level in 0 ..< 3 { #expect(html.contains("href=\"../clusters/\(level)-")) }
    #expect(html.contains("rel=\"prev\" ") && html.contains("href=\"f041.html\"") && html.contains("href=\"f043.html\""))
    // Every example token is shown, with its activation in a title when it fired.
    let window = try #require(record.topExamples.first)
    for (token, value) in zip(window.tokens, window.activations) where value > 0 {
      #expect(html.contains("title=\"\(Format.activation(value))\">\(SiteFixture.xmlText(Markup.tokenText(token)))</span>"))
    }
    #expect(html.contains("<svg") && html.contains("class=\"chart hist\"") && html.contains("class=\"minimap\""))
  }

  @Test("The JSON button saves the feature's record with every example's tokens and activations (values as shown)")
  func jsonDownload() throws {
    let (atlas, _) = try SharedAtlas.normal.get()
    let record = try SiteFixture.record(42, in: atlas)
    _ = try SiteFixture.drawn(atlas.site, "features/f042.html")
    let saved = try Data(contentsOf: atlas.site.deletingLastPathComponent().appendingPathComponent("drawn/features/f042.html.json"))
    let decoded = try JSONDecoder().decode(FeatureRecord.self, from: saved)
    #expect(decoded.index == 42 && decoded.label == record.label && decoded.description == record.description)
    #expect(decoded.histogram == record.histogram && decoded.topTokens == record.topTokens)
    #expect(decoded.decoderNeighbours == record.decoderNeighbours)
    #expect(decoded.promotedTokens == record.promotedTokens && decoded.sourceShares == record.sourceShares)
    // Examples: the same windows, tokens, peaks and places; activations to the precision the page shows.
    func shown(_ w: ExampleWindow) -> String {
      "\(w.window) \(w.document) \(w.source) \(w.peak) \(w.tokens) \(w.activations.map { $0 > 0 ? Format.activation($0) : "0" })"
    }
    #expect(decoded.topExamples.map(shown) == record.topExamples.map(shown))
    #expect(decoded.topExamples.map(\.start) == record.topExamples.map(\.start))
    #expect(!record.topExamples.isEmpty && record.topExamples.allSatisfy { $0.start != nil })
    for (a, b) in zip(decoded.quantileSamples + decoded.intervalSamples, record.quantileSamples + record.intervalSamples) {
      #expect(a.title == b.title && a.share == b.share && a.lower == b.lower)
      #expect(a.examples.map(shown).sorted() == b.examples.map(shown).sorted(), "\(a.title)")
    }
    #expect(decoded.quantileSamples.count == record.quantileSamples.count && decoded.intervalSamples.count == record.intervalSamples.count)
  }

  @Test("A neighbourhood window places the shared point layer so every drawn feature sits on its own dot, dots about 2.6 px wide")
  func neighbourhoodLayer() throws {
    let (atlas, _) = try SharedAtlas.normal.get()
    var layers: [String: (width: Double, dots: [(Double, Double)])] = [:]
    func number(_ node: xmlNodePtr, _ name: String) throws -> Double {
      try #require(XMLPage.attribute(node, name).flatMap(Double.init), "no number \(name)")
    }
    var checked = 0
    for index in stride(from: 0, to: 300, by: 6) {
      let page = "features/f\(String(format: "%03d", index)).html"
      let xml = try XMLPage(Data(SiteFixture.drawn(atlas.site, page).utf8), name: page)
      let elements = xml.elements()
      let svg = try #require(elements.first { XMLPage.name($0) == "svg" && XMLPage.attribute($0, "class") == "minimap" })
      let inside = XMLPage.descendants(svg)
      let image = try #require(inside.first { XMLPage.name($0) == "image" }, "\(page): no point layer")
      let href = try #require(XMLPage.attribute(image, "href"))
      #expect(href.hasPrefix("../data/points-") && href.hasSuffix(".svg"))
      if layers[href] == nil {
        // The layer file: its stroke width and every dot of its paths (M absolute, m relative, each "h0").
        let text = try SiteFixture.text(atlas.site.appendingPathComponent(String(href.dropFirst(3))))
        let width = try #require(text.firstMatch(of: /stroke-width="([0-9.]+)"/).flatMap { Double($0.1) })
        var dots: [(Double, Double)] = []
        for d in text.matches(of: /\sd="([^"]*)"/) {
          var (x, y) = (0.0, 0.0)
          for m in String(d.1).matches(of: /([Mm])(-?[0-9]*\.?[0-9]+) ?(-?[0-9]*\.?[0-9]+)h0/) {
            let (a, b) = (Double(m.2) ?? .nan, Double(m.3) ?? .nan)
            (x, y) = m.1 == "M" ? (a, b) : (x + a, y + b)
            dots.append((x, y))
          }
        }
        layers[href] = (width, dots)
      }
      let layer = try #require(layers[href])
      #expect(layer.dots.count == 300, "\(href): \(layer.dots.count) dots for 300 features")
      let (x0, y0) = (try number(image, "x"), try number(image, "y"))
      let scale = try number(image, "width") / MapGeometry.width
      #expect(abs(try number(image, "height") / MapGeometry.height - scale) < 1e-3)
      let dot = layer.width * scale     // 2.6 px: the width the inline dots had (`.minimap .pt`)
      #expect(dot > 2.6 / 1.2 && dot < 2.6 * 1.2, "\(page): dots \(dot) px wide")
      // The feature's own circle and every neighbour's circle lie on a dot of the layer.
      let circles = inside.filter { XMLPage.name($0) == "circle" }
      #expect(circles.count >= 2)
      for circle in circles {
        let (u, v) = ((try number(circle, "cx") - x0) / scale, (try number(circle, "cy") - y0) / scale)
        let tolerance = 0.1 / scale + 0.1
        #expect(layer.dots.contains { abs($0.0 - u) <= tolerance && abs($0.1 - v) <= tolerance }, "\(page): no dot under (\(u), \(v))")
        checked += 1
      }
    }
    #expect(checked > 200)
  }

  @Test("Each example is shown once on its page, every token it fired on titled with its value; a band's repeats link to it by its peak")
  func examplesShownOnce() throws {
    let (atlas, _) = try SharedAtlas.normal.get()
    var repeats = 0
    for record in try SiteFixture.records(in: atlas) where !record.topExamples.isEmpty && SiteFixture.isDrawnSample(record.index) {
      let page = "features/f\(String(format: "%03d", record.index)).html"
      let xml = try XMLPage(Data(SiteFixture.drawn(atlas.site, page).utf8), name: page)
      // Every figure on the page: its strip's text and caption, and the (value, token) of its titled tokens.
      var figures: [String: [(String, String)]] = [:]     // strip text + caption -> titled tokens
      var anchors: [String: String] = [:]                 // figure id -> caption
      var again: [(href: String, caption: String)] = []
      for element in xml.elements() {
        switch XMLPage.name(element) {
        case "figure" where XMLPage.attribute(element, "class") == "example":
          let parts = XMLPage.children(element)
          let strip = try #require(parts.first { XMLPage.attribute($0, "class") == "strip" })
          let caption = XMLPage.text(try #require(parts.first { XMLPage.name($0) == "figcaption" }))
          let key = XMLPage.text(strip) + "|" + caption
          #expect(figures[key] == nil, "\(page) shows \(caption) twice")
          figures[key] = XMLPage.children(strip).compactMap { span in XMLPage.attribute(span, "title").map { ($0, XMLPage.text(span)) } }
          if let id = XMLPage.attribute(element, "id") { anchors[id] = caption }
        case "p" where XMLPage.attribute(element, "class") == "again":
          let links = XMLPage.children(element).filter { XMLPage.name($0) == "a" }
          #expect(!links.isEmpty, "\(page): an empty line of repeats")
          for link in links { again.append((XMLPage.attribute(link, "href") ?? "", XMLPage.text(link))) }
        default: break
        }
      }
      // Every example of the record (top and every band) is one of those figures, its fired tokens titled in order.
      var distinct: [String] = []
      for w in record.topExamples + (record.quantileSamples + record.intervalSamples).flatMap(\.examples) {
        let caption = "\(w.source) · document \(Format.count(w.document)) · window \(Format.count(w.window)) · peak "
          + "\(Format.activation(w.activations[w.peak])) on “\(Markup.tokenText(w.tokens[w.peak]))”"
        let key = w.tokens.map(Markup.tokenText).joined() + "|" + caption
        let titled = try #require(figures[key], "\(page) lacks the example \(caption)")
        let fired = zip(w.tokens, w.activations).filter { $0.1 > 0 }.map { (Format.activation($0.1), Markup.tokenText($0.0)) }
        #expect(titled.map { $0.0 } == fired.map { $0.0 } && titled.map { $0.1 } == fired.map { $0.1 }, "\(page): \(caption)")
        if !distinct.contains(key) { distinct.append(key) }
      }
      #expect(figures.count == distinct.count, "\(page): \(figures.count) figures for \(distinct.count) examples")
      // A repeat names the example by its peak and links to where it is shown.
      for (href, peak) in again {
        #expect(href.hasPrefix("#") && anchors[String(href.dropFirst())]?.hasSuffix(" · " + peak) == true, "\(page): \(href) \(peak)")
      }
      repeats += again.count
    }
    #expect(repeats > 100)   // the generator repeats each live feature's first top example in its top bands
  }

  @Test("A contradicted label is flagged on its page, not hidden")
  func contradicted() throws {
    let (atlas, _) = try SharedAtlas.normal.get()
    var found = 0
    for (i, record) in try SiteFixture.records(in: atlas).enumerated() {
      let html = try SiteFixture.text(atlas.site.appendingPathComponent("features/f\(String(format: "%03d", i)).html"))
      #expect(html.contains("Label contradicted by its evidence") == record.label.contradicted, "f\(i)")
      if record.label.contradicted { found += 1; #expect(html.contains(Markup.escape(record.label.text))) }
    }
    #expect(found > 5)
  }

  @Test("Steered features show the default and the chosen steered text per prompt, every sweep strength, a curve and the method in words then formulas")
  func steering() throws {
    let (atlas, _) = try SharedAtlas.normal.get()
    let steering = try SteeringRecord.read(from: atlas.steeringRecord)
    let steered = Set(steering.features.map(\.feature))
    #expect(!steered.isEmpty)
    for feature in steering.features {
      let html = try SiteFixture.text(atlas.site.appendingPathComponent("features/f\(String(format: "%03d", feature.feature)).html"))
      #expect(html.contains("id=\"steering\""))
      let words = try #require(html.range(of: "Steering edits the model"))
      let formulas = try #require(html.range(of: "Formulas, at blocks.15.hook_resid_post"))
      #expect(words.lowerBound < formulas.lowerBound && html.contains("clamp h ← h + (s·m − a(h))·d"))
      #expect(html.contains("class=\"steer-curve\"") && html.contains("class=\"steer-sentence\""))
      // Every token of the default and chosen continuations, and of every sweep run, is on the page (line breaks as ↵).
      for run in feature.chosenRuns + feature.runs + steering.prompts.map(\.baseline) {
        for token in run.tokens { #expect(html.contains(Markup.escape(Markup.tokenText(token))), "\(token.debugDescription)") }
      }
      // All strengths of a prompt's sweep sit on one row.
      #expect(html.components(separatedBy: "class=\"sweep-cells\"").count - 1 == steering.prompts.count)
    }
    let unsteered = (0 ..< 300).first { !steered.contains($0) } ?? 0
    #expect(!(try SiteFixture.text(atlas.site.appendingPathComponent("features/f\(String(format: "%03d", unsteered)).html"))).contains("id=\"steering\""))
    let gallery = try SiteFixture.text(atlas.site.appendingPathComponent("steering.html"))
    for feature in steering.features { #expect(gallery.contains("href=\"features/f\(String(format: "%03d", feature.feature)).html\"")) }
  }

  @Test("The index carries the run summary, SAE quality, a legend, the geometry note and a readable static map")
  func index() throws {
    let (atlas, _) = try SharedAtlas.normal.get()
    let html = try SiteFixture.text(atlas.site.appendingPathComponent("index.html"))
    let text = try XMLPage(Data(html.utf8), name: "index").textContent()
    // "Dead" is the features stage's count (never fired on the analysed tokens), as in the counts beside the map.
    let manifest = try FeaturesManifest.read(from: atlas.featuresManifest)
    let dead = Format.percent(Double(manifest.counts["dead"] ?? 0) / Double(manifest.features))
    for needle in ["SmolLM2-135M-Instruct", "blocks.15.hook_resid_post", "1.2M corpus tokens", "TopK SAE", "FVU", "0.187", "L0", "32.0",
                   "Dead", dead, "CE loss recovered", "87.4%", "not quantitative", "Search features"] {
      #expect(text.contains(needle), "index lacks \(needle)")
    }
    let clusters = try CanonicalJSON.read(ClusterHierarchyRecord.self, from: atlas.layoutClusters)
    for c in clusters.levels[0].clusters {
      #expect(html.contains("href=\"clusters/0-\(c.id).html\""))
      #expect(html.contains("class=\"map-label\"") && text.contains(c.label))
    }
    // 300 points in the inline SVG, coloured by coarse cluster.
    #expect(html.components(separatedBy: "h0").count - 1 == 300)
    for colour in Palette.categorical.prefix(6) { #expect(html.contains("stroke=\"\(colour)\"")) }
  }

  @Test("The run page shows configuration, digests, metrics, training curves and stage timings")
  func runPage() throws {
    let (atlas, _) = try SharedAtlas.normal.get()
    let record = try AtlasRecord.read(from: atlas.atlasRecord)
    let training = try SAETrainingRecord.read(from: atlas.saeTraining)
    let text = try XMLPage(Data(contentsOf: atlas.site.appendingPathComponent("run.html")), name: "run").textContent()
    for needle in [record.model.sha256, record.corpus?.digest ?? "?", training.weightsDigest, training.inputDigest,
                   "learningRate", "0.0004", "hookPoint", "capture", "30 min 30 s", "reused (inputs unchanged)", "trustworthiness@10",
                   "Reconstruction", "Sparsity", "Dead features", "KL divergence", "0.380"] {
      #expect(text.contains(needle), "run page lacks \(needle)")
    }
  }
}

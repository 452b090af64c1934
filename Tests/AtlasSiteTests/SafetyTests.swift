import AtlasArtifacts
import AtlasFixtures
import Foundation
import TestSupport
import Testing

import AtlasSite

/// Hostile text in every field that reaches a page: it must be escaped (never markup), keep every page
/// well-formed and still be displayed. The browser half of this lives in BrowserTests.
@Suite("Hostile text")
struct SafetyTests {
  @Test("Every page over hostile text is well-formed XHTML and gains no element, attribute or script from the data")
  func noInjectedMarkup() throws {
    let (atlas, _) = try SharedAtlas.hostile.get()
    // The elements and attributes the templates and our SVG code use; anything else came from data.
    let elements: Set = ["html", "head", "meta", "title", "link", "body", "a", "header", "div", "nav", "ul", "li", "span", "main",
                         "section", "p", "code", "h1", "h2", "h3", "h4", "dl", "dt", "dd", "aside", "label", "input", "button",
                         "svg", "title", "rect", "g", "path", "text", "circle", "line", "footer", "script", "strong", "figure",
                         "figcaption", "table", "caption", "tbody", "thead", "tr", "th", "td", "ol", "mark", "details", "summary",
                         "polyline", "em", "small", "br", "select", "option", "image", "noscript"]
    for page in SiteFixture.pages(atlas) {
      let xml = try XMLPage(Data(contentsOf: atlas.site.appendingPathComponent(page)), name: page)
      for element in xml.elements() {
        let name = XMLPage.name(element)
        #expect(elements.contains(name), "\(page): unexpected <\(name)>")
        if name == "script" { #expect(XMLPage.attribute(element, "src")?.hasSuffix(".js") == true, "\(page): inline script") }
        for (attribute, value) in XMLPage.attributes(element) {
          #expect(!attribute.lowercased().hasPrefix("on"), "\(page): <\(name) \(attribute)>")
          #expect(!value.lowercased().contains("javascript:") || attribute == "title" || attribute == "aria-label" || attribute == "content",
                  "\(page): \(attribute)=\(value)")
        }
      }
    }
  }

  @Test("Hostile labels, tokens, cluster names, prompts and configuration are displayed literally")
  func displayedLiterally() throws {
    let (atlas, _) = try SharedAtlas.hostile.get()
    func text(_ page: String) throws -> String {
      try XMLPage(Data(contentsOf: atlas.site.appendingPathComponent(page)), name: page).textContent()
    }
    let hostile = SyntheticContent.hostile
    for (i, string) in hostile.enumerated() {
      let page = "features/f\(String(format: "%03d", i)).html"
      #expect(try text(page).contains(Markup.displayable(string)), "f\(i) does not show its label \(string.debugDescription)")
      // Its examples are drawn by the page's script: the drawn page shows the token as text.
      let drawn = try XMLPage(Data(SiteFixture.drawn(atlas.site, page).utf8), name: page).textContent()
      #expect(drawn.contains(Markup.tokenText(string)), "f\(i) does not show its token \(string.debugDescription)")
    }
    let index = try text("index.html")
    #expect(index.contains(hostile[0]))                         // coarse cluster 0's name, in the SVG and the legend
    #expect(index.contains("Atlas </title><script>alert(1)</script>"))
    let run = try text("run.html")
    for string in hostile { #expect(run.contains(Markup.displayable(string)), "run page lacks \(string.debugDescription)") }
    let steering = try text("steering.html")
    #expect(steering.contains(hostile[8]) && steering.contains(hostile[0]))
    for level in 0 ..< 3 {
      #expect(try text("clusters/\(level)-0.html").contains(Markup.displayable(hostile[level])))
    }
  }

  @Test("Raw pages contain hostile strings only in escaped form")
  func escapedInSource() throws {
    let (atlas, _) = try SharedAtlas.hostile.get()
    for page in SiteFixture.pages(atlas) {
      let html = try SiteFixture.text(atlas.site.appendingPathComponent(page))
      for needle in ["<script>alert", "<img", "\"><img", "<svg onload", "</textarea>", "\u{1}", "\u{7}", "\u{FFFE}"] {
        #expect(!html.contains(needle), "\(page) contains \(needle.debugDescription)")
      }
      // Mustache did not interpret data: the literal braces survive.
      if page == "features/f007.html" { #expect(html.contains("{{mustache}} {{{triple}}}")) }
    }
  }

  @Test("Feature data files cannot break out of their script and decode back to the hostile strings")
  func featureData() throws {
    let (atlas, _) = try SharedAtlas.hostile.get()
    let records = try SiteFixture.records(in: atlas)
    for (i, string) in SyntheticContent.hostile.enumerated() {
      let file = try SiteFixture.text(atlas.site.appendingPathComponent("data/features/f\(String(format: "%03d", i)).js"))
      for forbidden in ["</script", "<!--", "<", ">", "\u{2028}", "\u{2029}"] {
        #expect(!file.contains(forbidden), "f\(i).js contains \(forbidden.debugDescription)")
      }
      #expect(file.hasPrefix("window.atlasFeature = {") && file.hasSuffix("};\n"))
      let json = String(file.dropFirst("window.atlasFeature = ".count).dropLast(2))
      let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
      let body = try #require(object["body"] as? [String: Any])
      #expect(body["label"] as? String == Markup.displayable(records[i].displayName))
      let record = try JSONDecoder().decode(Wrapped.self, from: Data(json.utf8)).record
      #expect(record.label.text == string && record.index == i)
    }
    let windows = try SiteFixture.text(atlas.site.appendingPathComponent("data/windows.js"))
    for forbidden in ["</script", "<!--", "<", ">", "\u{2028}", "\u{2029}"] { #expect(!windows.contains(forbidden)) }
  }

  private struct Wrapped: Decodable { var record: FeatureRecord }

  @Test("Map data files cannot break out of their script and decode back to the hostile strings")
  func mapData() throws {
    let (atlas, _) = try SharedAtlas.hostile.get()
    let chunk = try SiteFixture.text(atlas.site.appendingPathComponent("data/map-000.js"))
    for forbidden in ["</script", "<!--", "<", ">", "\u{2028}", "\u{2029}"] {
      #expect(!chunk.contains(forbidden), "map-000.js contains \(forbidden.debugDescription)")
    }
    #expect(chunk.hasPrefix("FA.chunk(0,{") && chunk.hasSuffix("});\n"))
    let json = String(chunk.dropFirst("FA.chunk(0,".count).dropLast(3))
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    let labels = try #require(object["l"] as? [String])
    for (i, string) in SyntheticContent.hostile.enumerated() { #expect(labels[i] == Markup.displayable(string)) }
    let meta = try SiteFixture.text(atlas.site.appendingPathComponent("data/map-meta.js"))
    #expect(!meta.contains("<") && !meta.contains("\u{2028}"))
  }
}

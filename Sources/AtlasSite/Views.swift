import Mustache

/// View models shared by several pages. Every string is already formatted and made displayable; the
/// templates only place them. Views answer Mustache lookups through `child(named:)` (a switch), which is
/// several times faster than the reflection Mustache otherwise uses.

/// The frame of every page: `<head>`, the site header with its navigation and the scripts to load.
struct ChromeView: MustacheParent {
  var pageTitle: String
  var siteTitle: String
  var root: String                  // "" for pages at the top, "../" for pages one folder down
  var nav: [NavView]
  var scripts: [String]             // script URLs relative to the page
  var bodyClass: String
  var footer: String

  func child(named name: String) -> Any? {
    switch name {
    case "pageTitle": pageTitle
    case "siteTitle": siteTitle
    case "root": root
    case "nav": nav
    case "scripts": scripts
    case "bodyClass": bodyClass
    case "footer": footer
    default: nil
    }
  }

  static func make(_ input: SiteInput, title: String, root: String, current: String, bodyClass: String,
                   scripts: [String] = []) -> ChromeView {
    let items: [(String, String, String)] = [
      ("map", "Map", "index.html"), ("topics", "Topics", "topics/index.html"), ("run", "Run", "run.html"),
      ("steering", "Steering", "steering.html"), ("clusters", "Clusters", "clusters/index.html"), ("glossary", "Glossary", "glossary.html"),
    ]
    let nav = items.filter { ($0.0 != "steering" || input.steering != nil) && ($0.0 != "topics" || !input.topics.isEmpty) }
      .map { NavView(href: root + $0.2, text: $0.1, current: $0.0 == current) }
    // No timestamp here: every page but the run page must be byte-identical across builds of the same inputs.
    let footer = "feature-atlas \(input.record.toolVersion) · built from the artifacts in this folder · works offline, no network requests"
    return ChromeView(pageTitle: Markup.displayable(title), siteTitle: Markup.displayable(input.record.title), root: root,
                      nav: nav, scripts: scripts.map { root + $0 } + [root + "assets/page.js"], bodyClass: bodyClass,
                      footer: Markup.displayable(footer))
  }
}

struct NavView: MustacheParent {
  var href: String
  var text: String
  var current: Bool
  func child(named name: String) -> Any? {
    switch name {
    case "href": href
    case "text": text
    case "current": current
    default: nil
    }
  }
}

/// A link with optional secondary text and a colour swatch.
struct LinkView: MustacheParent {
  var href: String
  var text: String
  var detail: String = ""
  var colour: String = ""
  var note: String = ""
  var swatch: String = ""           // a swatch's CSS class (`Palette.swatchClass`), where a list draws many
  func child(named name: String) -> Any? {
    switch name {
    case "swatch": swatch
    case "href": href
    case "text": text
    case "detail": detail
    case "colour": colour
    case "note": note
    case "hasColour": !colour.isEmpty
    case "hasDetail": !detail.isEmpty
    case "hasNote": !note.isEmpty
    default: nil
    }
  }
}

/// A labelled number with a one-line explanation ("what this means").
struct MetricView: MustacheParent {
  var name: String
  var value: String
  var hint: String
  var tone: String = ""             // "", "good", "warn" – a CSS class
  func child(named name: String) -> Any? {
    switch name {
    case "name": self.name
    case "value": value
    case "hint": hint
    case "tone": tone
    default: nil
    }
  }
}

/// A key/value row of a table.
struct RowView: MustacheParent {
  var key: String
  var value: String
  var depth: Int = 0                // indentation level in a configuration tree
  var mono: Bool = false
  var isGroup: Bool = false
  func child(named name: String) -> Any? {
    switch name {
    case "key": key
    case "value": value
    case "depth": depth
    case "mono": mono
    case "isGroup": isGroup
    default: nil
    }
  }
}

/// A prefix of `root` + feature file, e.g. "../features/f00042.html".
extension Naming {
  func featureHref(_ feature: Int, root: String) -> String { root + "features/" + featureFile(feature) }
  func clusterHref(level: Int, id: Int, root: String, page: Int = 1) -> String {
    root + "clusters/" + clusterFile(level: level, id: id, page: page)
  }
}

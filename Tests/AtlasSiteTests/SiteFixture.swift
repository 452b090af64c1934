import AtlasArtifacts
import AtlasFixtures
import CLibXML2
import Foundation
import TestSupport

import AtlasSite

/// Shared helpers: a synthetic atlas rendered into a scratch directory, XHTML checks with libxml2 and a
/// walk over every link of a page.
enum SiteFixture {
  /// The repository's own templates and assets.
  static func resources() throws -> SiteResources {
    try SiteResources.locate(explicit: TestPaths.packageRoot)
  }

  /// Writes a synthetic atlas (and renders it unless `render` is false).
  static func atlas(_ name: String, options: SyntheticAtlasOptions = SyntheticAtlasOptions(), render: Bool = true,
                    siteOptions: SiteOptions = SiteOptions()) throws -> (AtlasDirectory, SiteReport?) {
    let root = try TestPaths.scratchDirectory(name)
    let atlas = try SyntheticAtlas.write(to: root, options: options)
    guard render else { return (atlas, nil) }
    let report = try SiteRenderer(resources: resources(), options: siteOptions).render(atlas: atlas)
    return (atlas, report)
  }

  /// Every file under `directory`, as paths relative to it, sorted.
  static func files(under directory: URL) -> [String] {
    let base = directory.standardizedFileURL.resolvingSymlinksInPath().path
    var out: [String] = []
    if let e = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) {
      for case let url as URL in e where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
        out.append(String(url.standardizedFileURL.resolvingSymlinksInPath().path.dropFirst(base.count + 1)))
      }
    }
    return out.sorted()
  }

  static func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

  /// Text as XMLSerializer writes it in a text node: only `&`, `<` and `>` escaped.
  static func xmlText(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
  }

  /// A feature page as its script draws it (examples, histogram, tokens, logits, neighbours, sources), as
  /// XML. Loading a page in Chromium takes about 0.1 s, so the first call for a site draws a sample of its
  /// feature pages in one browser (`isDrawnSample`: every third and the first twelve) and later calls for
  /// pages outside it draw them one by one.
  static func drawn(_ site: URL, _ page: String) throws -> String {
    let out = site.deletingLastPathComponent().appendingPathComponent("drawn")
    try DrawnSites.shared.ensure(site: site, page: page, out: out)
    return try text(out.appendingPathComponent(page))
  }

  /// Whether feature `index` is among the pages `drawn` draws at once.
  static func isDrawnSample(_ index: Int) -> Bool { index % 3 == 0 || index < 12 }
}

/// Which feature pages of which sites are drawn (tests run in parallel: one drawing at a time).
final class DrawnSites: @unchecked Sendable {
  static let shared = DrawnSites()
  private var drawn: [String: Set<String>] = [:]
  private let lock = NSLock()

  func ensure(site: URL, page: String, out: URL) throws {
    lock.lock()
    defer { lock.unlock() }
    if drawn[site.path]?.contains(page) == true { return }
    var pages = [page]
    if drawn[site.path] == nil {
      try? FileManager.default.removeItem(at: out)
      let all = try FileManager.default.contentsOfDirectory(atPath: site.appendingPathComponent("features").path)
        .filter { $0.hasSuffix(".html") }.sorted()
      pages = all.enumerated().filter { SiteFixture.isDrawnSample($0.offset) }.map { "features/" + $0.element }
      if !pages.contains(page) { pages.append(page) }
    }
    // The first page of a site's sample also saves what its JSON button gives (`features/fNNN.html.json`).
    try BrowserCheck.draw(site: site, pages: pages, into: out, downloads: pages.filter { $0.hasSuffix("f042.html") })
    drawn[site.path, default: []].formUnion(pages)
  }
}

// MARK: - libxml2

/// Parses XHTML strictly (no recovery, no network, no DTD loading); the tree is freed on deinit.
final class XMLPage {
  let document: xmlDocPtr

  /// Throws a message with line and column when `data` is not well-formed XML.
  init(_ data: Data, name: String) throws {
    xmlInitParser()
    let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
    let parsed = data.withUnsafeBytes { raw -> xmlDocPtr? in
      guard let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self) else { return nil }
      xmlResetLastError()
      return xmlReadMemory(base, Int32(raw.count), name, "UTF-8", options)
    }
    guard let parsed else {
      var reason = "unknown error"
      if let error = xmlGetLastError() {
        let message = error.pointee.message.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "?"
        reason = "line \(error.pointee.line), column \(error.pointee.int2): \(message)"
      }
      throw XMLCheckError(page: name, reason: reason)
    }
    document = parsed
  }

  deinit { xmlFreeDoc(document) }

  /// Every element, depth first.
  func elements() -> [xmlNodePtr] {
    var out: [xmlNodePtr] = []
    func walk(_ node: xmlNodePtr?) {
      var node = node
      while let current = node {
        if current.pointee.type == XML_ELEMENT_NODE { out.append(current) }
        walk(current.pointee.children)
        node = current.pointee.next
      }
    }
    walk(xmlDocGetRootElement(document))
    return out
  }

  static func name(_ node: xmlNodePtr) -> String { node.pointee.name.map { String(cString: $0) } ?? "" }

  static func attribute(_ node: xmlNodePtr, _ name: String) -> String? {
    guard let value = xmlGetProp(node, name) else { return nil }
    defer { free(value) }  // libxml2 allocates with malloc by default (xmlFree is a mutable global)
    return String(cString: value)
  }

  /// All attributes of an element as (name, value).
  static func attributes(_ node: xmlNodePtr) -> [(String, String)] {
    var out: [(String, String)] = []
    var attr = node.pointee.properties
    while let a = attr {
      let name = a.pointee.name.map { String(cString: $0) } ?? ""
      out.append((name, attribute(node, name) ?? ""))
      attr = a.pointee.next
    }
    return out
  }

  /// The element children of a node, in order.
  static func children(_ node: xmlNodePtr) -> [xmlNodePtr] {
    var out: [xmlNodePtr] = []
    var child = node.pointee.children
    while let c = child {
      if c.pointee.type == XML_ELEMENT_NODE { out.append(c) }
      child = c.pointee.next
    }
    return out
  }

  /// Every element under a node (not the node itself), depth first.
  static func descendants(_ node: xmlNodePtr) -> [xmlNodePtr] {
    children(node).flatMap { [$0] + descendants($0) }
  }

  /// The text content of one element.
  static func text(_ node: xmlNodePtr) -> String {
    guard let content = xmlNodeGetContent(node) else { return "" }
    defer { free(content) }
    return String(cString: content)
  }

  /// The text content of the whole document.
  func textContent() -> String {
    guard let root = xmlDocGetRootElement(document), let content = xmlNodeGetContent(root) else { return "" }
    defer { free(content) }
    return String(cString: content)
  }
}

struct XMLCheckError: Error, CustomStringConvertible {
  var page: String
  var reason: String
  var description: String { "\(page) is not well-formed XHTML: \(reason)" }
}

// MARK: - Shared renders

/// Atlases rendered once per test run and shared by the suites that only read them.
enum SharedAtlas {
  /// 300 features, 3 levels (6/18/48 clusters), steering, training record.
  static let normal: Result<(AtlasDirectory, SiteReport), Error> = Result { try render("normal", options: SyntheticAtlasOptions()) }

  /// The same with hostile strings in labels, tokens, cluster names, prompts, sources and configuration.
  static let hostile: Result<(AtlasDirectory, SiteReport), Error> = Result {
    var options = SyntheticAtlasOptions()
    options.hostile = true
    options.features = 120
    options.clusters = [4, 8, 16]
    return try render("hostile", options: options)
  }

  /// A fixed place per user (replaced on every run), so screenshots and pages can be inspected afterwards.
  static func directory(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("feature-atlas-tests/site-\(name)-\(getuid())")
  }

  private static func render(_ name: String, options: SyntheticAtlasOptions) throws -> (AtlasDirectory, SiteReport) {
    let root = directory(name)
    try? FileManager.default.removeItem(at: root)
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    let atlas = try SyntheticAtlas.write(to: root, options: options)
    return (atlas, try SiteRenderer(resources: SiteFixture.resources()).render(atlas: atlas))
  }
}

extension SiteFixture {
  /// Every HTML page of a rendered site, relative to `site/`.
  static func pages(_ atlas: AtlasDirectory) -> [String] {
    files(under: atlas.site).filter { $0.hasSuffix(".html") }
  }

  /// Every feature record of the atlas, in order.
  static func records(in atlas: AtlasDirectory) throws -> [FeatureRecord] {
    let manifest = try FeaturesManifest.read(from: atlas.featuresManifest)
    return try (0 ..< manifest.shards).flatMap { try ShardDecoder.read(atlas, shard: $0).records }
  }

  /// The feature record `index` as the synthetic generator wrote it.
  static func record(_ index: Int, in atlas: AtlasDirectory) throws -> FeatureRecord {
    let manifest = try FeaturesManifest.read(from: atlas.featuresManifest)
    let shard = try ShardDecoder.read(atlas, shard: index / manifest.featuresPerShard)
    return shard.records[index - shard.first]
  }
}

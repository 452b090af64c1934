import AtlasArtifacts
import AtlasBriefing
import AtlasFixtures
import AtlasPipeline
import AtlasSite
import CLibXML2
import Foundation
import TestSupport

/// Synthetic atlases for the briefing tests (the AtlasSite generator: seconds, no model) and a strict
/// libxml2 reading of the briefing.
enum BriefingFixture {
  static func resources() throws -> SiteResources { try SiteResources.locate(explicit: TestPaths.packageRoot) }

  /// A synthetic atlas in a fresh scratch directory, its site rendered when `site` is true.
  static func atlas(_ name: String, options: SyntheticAtlasOptions = SyntheticAtlasOptions(), site: Bool = true) throws -> AtlasDirectory {
    let root = try TestPaths.scratchDirectory("briefing-\(name)")
    let atlas = try SyntheticAtlas.write(to: root, options: options)
    // The synthetic atlas records a configuration of its own, in an older shape that `brief` (reading it
    // strictly, as every command does) would refuse: record the real default configuration instead.
    var record = try AtlasRecord.read(from: atlas.atlasRecord)
    record.configuration = try JSONValue(encoding: AtlasConfiguration())
    try record.write(to: atlas.atlasRecord)
    if site { try SiteRenderer(resources: resources()).render(atlas: atlas) }
    return atlas
  }

  /// Runs `brief` on the atlas (HTML only unless `pdf`).
  static func brief(_ atlas: AtlasDirectory, topics: [String] = [], configuration: URL? = nil, page: PageSize? = nil, pdf: Bool = false,
                    output: URL? = nil) throws -> BriefStage.Report {
    try BriefStage.run(BriefStage.Options(atlas: atlas, output: output, topics: topics, configurationFile: configuration, page: page,
                                          resources: TestPaths.packageRoot, pdf: pdf), progress: SilentProgress())
  }
}

struct SilentProgress: ProgressSink {
  func log(_ line: String) {}
  func progress(_ label: String, done: Int, total: Int, unit: String) {}
  func finish(_ label: String) {}
}

/// A document parsed strictly by libxml2 (no recovery, no network); throws with line and message when the
/// markup is not well-formed XML.
final class XHTMLDocument {
  let document: xmlDocPtr

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
        reason = "line \(error.pointee.line): " + (error.pointee.message.map { String(cString: $0) } ?? "?")
      }
      throw XHTMLError(reason: "\(name) is not well-formed XHTML: \(reason)")
    }
    document = parsed
  }

  deinit { xmlFreeDoc(document) }

  struct Element {
    var name: String
    var attributes: [String: String]
    var text: String
    var section: String?        // id of the enclosing <section>
  }

  /// Every element in document order with its attributes, text content and enclosing section.
  func elements() -> [Element] {
    var out: [Element] = []
    func walk(_ node: xmlNodePtr?, section: String?) {
      var node = node
      while let current = node {
        var inner = section
        if current.pointee.type == XML_ELEMENT_NODE {
          let name = current.pointee.name.map { String(cString: $0) } ?? ""
          var attributes: [String: String] = [:]
          var attr = current.pointee.properties
          while let a = attr {
            let key = a.pointee.name.map { String(cString: $0) } ?? ""
            if let value = xmlGetProp(current, key) {
              attributes[key] = String(cString: value)
              free(value)
            }
            attr = a.pointee.next
          }
          var text = ""
          if let content = xmlNodeGetContent(current) {
            text = String(cString: content)
            free(content)
          }
          if name == "section", let id = attributes["id"] { inner = id }
          out.append(Element(name: name, attributes: attributes, text: text, section: inner))
        }
        walk(current.pointee.children, section: inner)
        node = current.pointee.next
      }
    }
    walk(xmlDocGetRootElement(document), section: nil)
    return out
  }
}

struct XHTMLError: Error, CustomStringConvertible {
  var reason: String
  var description: String { reason }
}

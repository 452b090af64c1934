import AtlasSite
import Foundation
import Mustache

/// `templates/briefing.mustache`, loaded and parsed up front so a missing or broken template is an error
/// naming the file. Its first line selects the XHTML content type: `{{ }}` escapes the five XML specials
/// and replaces characters XML cannot carry, like the site's pages.
struct BriefingTemplate {
  static let name = "briefing"
  static let contentTypeName = "XHTML-BRIEFING"
  private static let registerContentType: Void = {
    MustacheContentTypes.register(XHTMLBriefingContentType(), named: contentTypeName)
  }()

  private let library: MustacheLibrary

  init(directory: URL) throws {
    BriefingTemplate.registerContentType
    let url = directory.appendingPathComponent("\(BriefingTemplate.name).mustache")
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw BriefingError.missingTemplate(path: url.path) }
    var library = MustacheLibrary()
    do { try library.register(text, named: BriefingTemplate.name) } catch {
      throw BriefingError.invalidTemplate(path: url.path, reason: "\(error)")
    }
    self.library = library
  }

  func render(_ view: BriefingView) throws -> String {
    guard let html = library.render(view, withTemplate: BriefingTemplate.name) else {
      throw BriefingError.invalidTemplate(path: BriefingTemplate.name, reason: "rendered nothing")
    }
    return html
  }
}

struct XHTMLBriefingContentType: MustacheContentType {
  func escapeText(_ text: String) -> String { Markup.xhtml(text) }
}

import Foundation
import Mustache

/// The page templates, loaded from `templates/*.mustache` and checked up front, so that a missing or
/// broken template is an error naming the file rather than an empty page.
struct Templates: Sendable {
  /// Pages the renderer writes, and partials they include (`{{> head}}` ...).
  static let pages = ["index", "feature", "cluster", "clusters", "run", "steering", "glossary", "topic", "topics"]
  static let partials = ["head", "header", "footer", "steering-runs"]

  private let library: MustacheLibrary
  let directory: URL

  init(directory: URL, pages: [String] = Templates.pages, partials: [String] = Templates.partials) throws {
    self.directory = directory
    Templates.registerContentType
    var library = MustacheLibrary()
    for name in pages + partials {
      let url = directory.appendingPathComponent("\(name).mustache")
      guard let text = try? String(contentsOf: url, encoding: .utf8) else {
        throw SiteError.missingTemplate(name: name, directory: directory.path)
      }
      do {
        try library.register(text, named: name)
      } catch {
        throw SiteError.invalidTemplate(name: name, path: url.path, reason: "\(error)")
      }
    }
    self.library = library
  }

  /// `{{% CONTENT_TYPE: XHTML}}`, the first line of every template: escapes like Mustache's HTML type
  /// (`& < > " '`) and also replaces characters XML cannot carry, so every page stays well-formed XHTML.
  /// A template without the line still escapes (Mustache's default HTML type).
  static let contentTypeName = "XHTML"
  private static let registerContentType: Void = {
    MustacheContentTypes.register(XHTMLContentType(), named: contentTypeName)
  }()

  /// Renders `view` with the named page template. Values are HTML-escaped by `{{ }}`.
  func render(_ view: Any, page: String) throws -> String {
    guard let html = library.render(view, withTemplate: page) else {
      throw SiteError.missingTemplate(name: page, directory: directory.path)
    }
    return html
  }
}

struct XHTMLContentType: MustacheContentType {
  func escapeText(_ text: String) -> String { Markup.xhtml(text) }
}

/// Strings render as themselves: saves Mustache the generic `String(describing:)` path for every value.
extension String: @retroactive MustacheCustomRenderable {
  public var renderText: String { self }
  public var isNull: Bool { false }
}

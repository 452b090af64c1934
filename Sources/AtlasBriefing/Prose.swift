import AtlasSite

/// A paragraph of the briefing's prose as escaped XHTML: plain text and feature references (an id that
/// links to the feature's atlas page when the site is there, followed by its label).
final class Prose {
  private(set) var html = ""

  init(_ text: String = "") { html = Markup.text(text) }

  @discardableResult func text(_ text: String) -> Prose {
    html += Markup.text(text)
    return self
  }

  /// `f0042` (linked when `href` is given), then ` (“label”)` when a label is given.
  @discardableResult func feature(_ id: String, href: String?, label: String? = nil) -> Prose {
    html += Prose.reference(id, href: href)
    if let label {
      // Labels often quote their tokens already; quote the label only when it does not.
      let short = PlainLanguage.short(label, 40)
      let quoted = short.contains(where: { "“”‘’\"'".contains($0) }) ? short : "“" + short + "”"
      html += Markup.text(" (" + quoted + ")")
    }
    return self
  }

  /// An id as a link to its page, or as plain text in the id style.
  static func reference(_ id: String, href: String?) -> String {
    if let href { return "<a class=\"fid\" href=\"\(Markup.escape(href))\">\(Markup.text(id))</a>" }
    return "<span class=\"fid\">\(Markup.text(id))</span>"
  }
}

/// A block of text for the template: `{{{html}}}` (already escaped).
package struct Paragraph: Sendable, Equatable {
  package var html: String
}

extension Prose {
  var paragraph: Paragraph { Paragraph(html: html) }
}

extension Paragraph {
  /// User-written text (a configuration override): blank lines separate paragraphs; escaped.
  static func plain(_ text: String) -> [Paragraph] {
    text.components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
      .map { Paragraph(html: Markup.text($0.replacingOccurrences(of: "\n", with: " "))) }
  }
}

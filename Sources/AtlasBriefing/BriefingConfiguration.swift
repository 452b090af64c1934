/// The `briefing:` section of `atlas.yaml`: what the policymaker briefing says about itself and what it
/// looks at. Empty strings mean "derive it from the atlas" (so every key stays optional in YAML).
public struct BriefingConfiguration: Codable, Sendable, Equatable {
  /// The document's title; empty: "What <model> has learned: a briefing".
  public var title = ""
  /// Who publishes it (shown under the title); empty: not shown.
  public var organisation = ""
  /// The author line; empty: not shown.
  public var author = ""
  /// The date printed on it, as written (e.g. "5 December 2026"); empty: the day the atlas was built.
  public var date = ""
  /// Topic words for the "brain scan": features whose labels or top tokens contain one of them. Empty (and
  /// no `--topic`): the most coherent cluster of the map.
  public var topics: [String] = []
  /// Features to feature first (by index): in the steering section when they were steered, else in the table.
  public var features: [Int] = []
  /// Paper size of the PDF: `a4` or `letter`.
  public var page = PageSize.a4
  /// Replaces the generated executive summary (plain text; blank lines separate paragraphs).
  public var summary = ""
  /// Replaces the generated implications (plain text; blank lines separate paragraphs).
  public var implications = ""

  public init() {}
}

public enum PageSize: String, Codable, Sendable, CaseIterable {
  case a4
  case letter

  /// The CSS `@page` size.
  var css: String { self == .a4 ? "A4" : "letter" }
}

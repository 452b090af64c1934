import AtlasArtifacts
import FeatureAnalysis

/// A theme for a cluster from its members' descriptions in words, to head its name: "syntax and layout" when
/// most described members are syntactic, "function words" when most name function words or their classes,
/// "pieces of words" when most name one piece of a word. Members without a supported description do not count.
///
/// A WordNet class of the members' words as a theme was tried and left out: on the default atlas the classes
/// that cover half of a region's words are too general to tell a reader anything ("psychological features",
/// "attributes", "matters") or wrong for the words shown ("adults ('ml', digits in numbers)").
public enum ClusterTheme {
  public static let syntax = "syntax and layout"
  public static let functionWords = "function words"
  public static let wordPieces = "pieces of words"
  /// Described members a theme needs, and the share of them it must hold.
  static let minimumDescribed = 3
  static let share = 0.6

  public static func theme(_ members: [FeatureDescription]) -> String? {
    let described = members.filter { $0.status == .supported && $0.kind != .unclear }
    guard described.count >= minimumDescribed else { return nil }
    let counts = [(syntax, described.filter { $0.kind == .syntactic }.count),
                  (functionWords, described.filter(\.namesFunctionWords).count),
                  (wordPieces, described.filter(\.namesWordPiece).count)]
    // max(by:) keeps the first of equal counts.
    guard let best = counts.max(by: { $0.1 < $1.1 }), Double(best.1) >= share * Double(described.count) else { return nil }
    return best.0
  }

  /// The name a reader sees: "theme (term, term)" with a theme, else the terms joined by " · ".
  public static func label(theme: String?, terms: [String]) -> String {
    let shown = terms.filter { $0 != theme }
    guard let theme else { return shown.joined(separator: " · ") }
    return shown.isEmpty ? theme : "\(theme) (\(shown.joined(separator: ", ")))"
  }

  /// Names made unique within a level: a name that no term could set apart from another's (clusters listed
  /// by id) says which region it is ("syntax and layout (commas) · region 12").
  public static func distinct(_ labels: [String]) -> [String] {
    var out = labels
    let repeated = Dictionary(grouping: labels.indices, by: { labels[$0] }).filter { $0.value.count > 1 }
    for (_, ids) in repeated { for i in ids { out[i] += " · region \(i + 1)" } }
    return out
  }
}

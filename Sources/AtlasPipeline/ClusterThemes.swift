import AtlasArtifacts

/// A theme for a cluster from its members' descriptions in words, to head its name: "syntax and layout" when
/// most described members are syntactic. Members without a supported description do not count.
///
/// A WordNet class of the members' words as a theme was tried and left out: on the default atlas the classes
/// that cover half of a region's words are too general to tell a reader anything ("psychological features",
/// "attributes", "matters") or wrong for the words shown ("adults ('ml', digits in numbers)").
public enum ClusterTheme {
  public static let syntax = "syntax and layout"
  /// Described members a theme needs.
  static let minimumDescribed = 3

  public static func theme(_ members: [FeatureDescription]) -> String? {
    let described = members.filter { $0.status == .supported && $0.kind != .unclear }
    guard described.count >= minimumDescribed else { return nil }
    let syntactic = described.filter { $0.kind == .syntactic }.count
    return Double(syntactic) >= 0.6 * Double(described.count) ? syntax : nil
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

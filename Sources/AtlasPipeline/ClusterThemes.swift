import AtlasArtifacts
import Lexicon

/// A theme for a cluster from its members' descriptions in words, to head its name: the WordNet class most
/// of their words fall under ("people (sir, lord)", "acts (make, take)"), or "syntax and layout" when most
/// described members are syntactic. Members without a supported description do not count.
public enum ClusterTheme {
  public static let syntax = "syntax and layout"
  /// Described members a theme needs, and the share of their word weight its WordNet class must cover.
  static let minimumDescribed = 3
  static let minimumCoverage = 0.4
  /// Broader than a feature's own concept may be (0.75): a region is wider than a feature ("people" for
  /// sir, lord, lady and king, whose narrowest common class covering three of them is person).
  static let maximumGenerality = 0.85

  public static func theme(_ members: [FeatureDescription], lexicon: Lexicon?) -> String? {
    let described = members.filter { $0.status == .supported && $0.kind != .unclear }
    guard described.count >= minimumDescribed else { return nil }
    let syntactic = described.filter { $0.kind == .syntactic }.count
    if Double(syntactic) >= 0.6 * Double(described.count) { return syntax }
    guard let lexicon else { return nil }
    // Each described member weighs 1, shared among the words its description names that WordNet knows.
    var weights: [String: Double] = [:]
    for d in described where d.kind != .syntactic {
      let words = Set(d.words.map { $0.lowercased() }).filter { $0.count >= 3 && lexicon.knows($0) }
      for w in words { weights[w, default: 0] += 1 / Double(words.count) }
    }
    guard weights.count >= minimumDescribed else { return nil }
    let list = weights.sorted { $0.key < $1.key }.map { (word: $0.key, weight: $0.value) }
    guard let common = lexicon.commonHypernym(of: list, minimumWords: minimumDescribed, minimumCoverage: minimumCoverage,
                                              maximumGenerality: maximumGenerality) else { return nil }
    return lexicon.name(common.synset)
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

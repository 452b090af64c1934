import AtlasArtifacts
import FeatureAnalysis

/// A theme for a cluster from its members' descriptions in words, to head its name: "syntax and layout" when
/// most described members are syntactic, "function words" when most name function words or their classes,
/// "pieces of words" when most name one piece of a word. Without such a majority, a region whose described
/// members are mostly of two kinds says which ("single words and concepts ('graph', 'lord', 'work')", "word
/// pieces and function words"), so a coarse region of 600 features is not named by three of them alone. A
/// region of one kind of words only keeps its terms ("'sir' · 'lord' · 'lady'"). Members without a supported
/// description do not count.
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
  static let share = 0.55

  public static func theme(_ members: [FeatureDescription]) -> String? {
    let described = members.filter { $0.status == .supported && $0.kind != .unclear }
    guard described.count >= minimumDescribed else { return nil }
    let counts = [(syntax, described.filter { $0.kind == .syntactic }.count),
                  (functionWords, described.filter(\.namesFunctionWords).count),
                  (wordPieces, described.filter(\.namesWordPiece).count)]
    // max(by:) keeps the first of equal counts.
    if let best = counts.max(by: { $0.1 < $1.1 }), Double(best.1) >= share * Double(described.count) { return best.0 }
    // Two kinds that hold the share together, each at least `mixShare`, heaviest first (ties: the order of `Kind`).
    var byKind = [Int](repeating: 0, count: Kind.allCases.count)
    for d in described { byKind[Kind.of(d).rawValue] += 1 }
    let ranked = Kind.allCases.sorted { (byKind[$0.rawValue], $1.rawValue) > (byKind[$1.rawValue], $0.rawValue) }
    let (first, second) = (ranked[0], ranked[1])
    let total = Double(described.count)
    guard Double(byKind[second.rawValue]) >= mixShare * total,
          Double(byKind[first.rawValue] + byKind[second.rawValue]) >= share * total else { return nil }
    return "\(first.name) and \(second.name)"
  }

  /// The least share each of the two kinds of a mixed theme holds.
  static let mixShare = 0.2

  /// What a described member is about, for mixed themes.
  enum Kind: Int, CaseIterable {
    case singleWords, concepts, wordForms, functionWords, wordPieces, symbols

    var name: String {
      switch self {
      case .singleWords: "single words"
      case .concepts: "concepts"
      case .wordForms: "word forms"
      case .functionWords: "function words"
      case .wordPieces: "word pieces"
      case .symbols: "symbols"
      }
    }

    static func of(_ d: FeatureDescription) -> Kind {
      if d.kind == .syntactic { return .symbols }
      if d.namesWordPiece { return .wordPieces }
      if d.namesFunctionWords { return .functionWords }
      switch d.kind {
      case .concept: return .concepts
      case .wordForms: return .wordForms
      default: return .singleWords
      }
    }
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

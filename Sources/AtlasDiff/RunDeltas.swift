import AtlasArtifacts

/// What differs between the two runs: model, hook, corpus, configuration (key by key), seeds, SAE
/// quality and label evidence. Every entry says whether the two sides agree.
public enum RunDeltas {
  public static func compute(a: DiffSide, b: DiffSide) -> [DiffRunDelta] {
    var out: [DiffRunDelta] = []
    func add(_ name: String, _ group: String, _ x: JSONValue, _ y: JSONValue, same: Bool? = nil) {
      out.append(DiffRunDelta(name: name, group: group, a: x, b: y, same: same ?? (x == y)))
    }
    func string(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    func number(_ v: Double?) -> JSONValue { v.map(JSONValue.number) ?? .null }

    add("model.name", "model", .string(a.identity.modelName), .string(b.identity.modelName))
    add("model.sha256", "model", .string(a.identity.modelSHA256), .string(b.identity.modelSHA256))
    add("model.dModel", "model", .number(Double(a.identity.dModel)), .number(Double(b.identity.dModel)))
    add("hookPoint", "hook", .string(a.identity.hookPoint), .string(b.identity.hookPoint))
    add("corpus.digest", "corpus", string(a.identity.corpusDigest), string(b.identity.corpusDigest))
    add("corpus.tokens", "corpus", number(a.record?.corpus.map { Double($0.tokens) }), number(b.record?.corpus.map { Double($0.tokens) }))
    add("corpus.documents", "corpus", number(a.record?.corpus.map { Double($0.documents) }),
        number(b.record?.corpus.map { Double($0.documents) }))
    add("sae.latents", "configuration", .number(Double(a.latents)), .number(Double(b.latents)))
    add("sae.weightsDigest", "sae", string(a.identity.saeWeightsDigest), string(b.identity.saeWeightsDigest))

    // Configuration key by key (leaves of the saved configuration); seeds reported in their own group.
    let ca = flatten(a.record?.configuration ?? .null), cb = flatten(b.record?.configuration ?? .null)
    for key in Set(ca.keys).union(cb.keys).sorted() {
      let (x, y) = (ca[key] ?? .null, cb[key] ?? .null)
      let isSeed = key.lowercased().hasSuffix("seed")
      if isSeed || x != y { add("configuration." + key, isSeed ? "seeds" : "configuration", x, y) }
    }

    // SAE quality.
    let qa = a.training?.quality, qb = b.training?.quality
    add("sae.architecture", "quality", string(a.training?.architecture), string(b.training?.architecture))
    add("sae.fvu", "quality", number(qa?.fvu), number(qb?.fvu))
    add("sae.l0", "quality", number(qa?.l0), number(qb?.l0))
    add("sae.deadFraction", "quality", number(qa?.deadFraction), number(qb?.deadFraction))
    add("sae.ceLossRecovered", "quality", number(qa?.ceLossRecovered), number(qb?.ceLossRecovered))

    // Label evidence.
    func labelFigures(_ side: DiffSide) -> (Double?, Double?) {
      guard let features = side.features else { return (nil, nil) }
      let accuracies = features.compactMap(\.labelAccuracy)
      let live = features.filter { !$0.dead }.count
      let contradicted = features.filter { $0.labelContradicted && !$0.dead }.count
      return (accuracies.isEmpty ? nil : accuracies.reduce(0, +) / Double(accuracies.count),
              live == 0 ? nil : Double(contradicted) / Double(live))
    }
    let (la, lb) = (labelFigures(a), labelFigures(b))
    add("labels.meanBalancedAccuracy", "labels", number(la.0), number(lb.0))
    add("labels.contradictedFraction", "labels", number(la.1), number(lb.1))
    return out
  }

  /// Leaves of a JSON value as dotted key paths ("sae.training.seed"); array elements as "key[3]".
  public static func flatten(_ value: JSONValue, prefix: String = "") -> [String: JSONValue] {
    var out: [String: JSONValue] = [:]
    switch value {
    case .object(let o):
      for (k, v) in o { out.merge(flatten(v, prefix: prefix.isEmpty ? k : prefix + "." + k)) { x, _ in x } }
    case .array(let items):
      if items.allSatisfy({ if case .object = $0 { false } else if case .array = $0 { false } else { true } }) {
        out[prefix] = value
      } else {
        for (i, v) in items.enumerated() { out.merge(flatten(v, prefix: prefix + "[\(i)]")) { x, _ in x } }
      }
    default:
      if !prefix.isEmpty { out[prefix] = value }
    }
    return out
  }
}

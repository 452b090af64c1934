import AtlasArtifacts
import Mustache

/// Steering results for feature pages and `steering.html`, from `steering/steering.json` (rendering
/// never runs the model).
struct SteeringIndex: Sendable {
  let record: SteeringRecord?
  private let byFeature: [Int: Int]   // feature -> index into record.features

  init(_ record: SteeringRecord?) {
    self.record = record
    var map: [Int: Int] = [:]
    for (k, f) in (record?.features ?? []).enumerated() where map[f.feature] == nil { map[f.feature] = k }
    byFeature = map
  }

  /// The method spelled out: hook, add vs clamp, positions, strength units, decoding.
  func methodText(maxActivation: Float?) -> String {
    guard let m = record?.method else { return "" }
    let hook = Markup.displayable(m.hookPoint)
    let what: String
    switch m.mode.lowercased() {
    case "add", "additive":
      what = "Additive steering at \(hook): h ← h + s · m · d, where d is the feature's unit decoder direction and m its max activation"
    case "clamp":
      what = "Clamping at \(hook): the component of h along the feature's unit decoder direction d is set to s · m, where m is its max activation (the rest of h is kept)"
    default:
      what = "Steering (\(Markup.displayable(m.mode))) at \(hook)"
    }
    let strengths = m.strengths.map(signed).joined(separator: ", ")
    let here = maxActivation.map { " Here m = \(Format.activation($0))." } ?? ""
    return "\(what).\(here) Applied at \(Markup.displayable(m.positions)). Strength s in \(Markup.displayable(m.strengthUnit)): \(strengths). "
      + "\(Markup.displayable(m.decoding).capitalizedFirst) decoding, up to \(m.maxNewTokens) new tokens; the default column is the same prompt without steering."
  }

  /// The steering views of one feature (empty if it was not steered).
  func runs(for feature: Int, input: SiteInput, root: String) -> [SteeredFeatureView] {
    guard let record, let k = byFeature[feature] else { return [] }
    return [view(record.features[k], input: input, root: root)]
  }

  func view(_ f: SteeredFeature, input: SiteInput, root: String) -> SteeredFeatureView {
    guard let record else { return SteeredFeatureView(href: "", id: "", label: "", reason: "", maxActivation: "", prompts: []) }
    let clamp = record.method.mode.lowercased() == "clamp"
    var prompts: [SteeringPromptView] = []
    for (p, prompt) in record.prompts.enumerated() {
      let runs = f.runs.filter { $0.prompt == p }.sorted { $0.strength < $1.strength }.map { run in
        SteeringRunView(
          strength: signed(run.strength) + " ×",
          strengthDetail: (clamp ? "sets the component to " : "adds ") + minus(Format.activation(run.strength * f.maxActivation))
            + (clamp ? "" : " along d"),
          text: Markup.displayable(run.text),
          activation: run.featureActivation.map { "feature activation on the output: \(Format.activation($0))" } ?? "",
          tone: run.strength < 0 ? "neg" : "pos")
      }
      guard !runs.isEmpty else { continue }
      prompts.append(SteeringPromptView(prompt: Markup.displayable(prompt.text), format: prompt.chat ? "chat template" : "plain text",
                                        defaultText: Markup.displayable(prompt.defaultContinuation), runs: runs))
    }
    let valid = f.feature >= 0 && f.feature < input.summaries.count
    return SteeredFeatureView(
      href: valid ? input.naming.featureHref(f.feature, root: root) : "", id: valid ? input.naming.id(f.feature) : "f?",
      label: Markup.displayable(f.label), reason: Markup.displayable(f.reason), maxActivation: Format.activation(f.maxActivation),
      prompts: prompts)
  }

  private func minus(_ text: String) -> String { text.hasPrefix("-") ? "−" + text.dropFirst() : text }

  private func signed(_ s: Float) -> String { (s > 0 ? "+" : s < 0 ? "−" : "") + Format.number(Double(abs(s)), significant: 3) }
}

/// `steering.html`: every steered feature.
struct SteeringGalleryView: MustacheParent {
  var chrome: ChromeView
  var method: String
  var features: [SteeredFeatureView]
  var promptCount: String
  func child(named name: String) -> Any? {
    switch name {
    case "chrome": chrome
    case "method": method
    case "features": features
    case "promptCount": promptCount
    default: nil
    }
  }

  static func make(_ input: SiteInput, steering: SteeringIndex) -> SteeringGalleryView {
    let features = (steering.record?.features ?? []).map { steering.view($0, input: input, root: "") }
    let prompts = steering.record?.prompts.count ?? 0
    let strengths = steering.record?.method.strengths.count ?? 0
    return SteeringGalleryView(
      chrome: ChromeView.make(input, title: "Steering", root: "", current: "steering", bodyClass: "page-steering"),
      method: steering.record == nil ? "This atlas has no steering results (run `feature-atlas steer`)." : steering.methodText(maxActivation: nil),
      features: features,
      promptCount: "\(features.count) feature\(features.count == 1 ? "" : "s") × \(prompts) prompt\(prompts == 1 ? "" : "s") × \(strengths) strength\(strengths == 1 ? "" : "s")")
  }
}

extension String {
  var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}

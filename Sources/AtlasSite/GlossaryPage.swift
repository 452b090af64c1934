import AtlasArtifacts
import Mustache

/// `glossary.html`: the words of the atlas in plain language (FVU, L0, CE loss recovered, dead, density,
/// evidence, …) and the corpus sources described, linked from the map, run and feature pages.
struct GlossaryView: MustacheParent {
  var chrome: ChromeView
  var terms: [GlossaryTermView]
  var sources: [SourceRowView]

  func child(named name: String) -> Any? {
    switch name {
    case "chrome": chrome
    case "terms": terms
    case "sources": sources
    case "hasSources": !sources.isEmpty
    default: nil
    }
  }
}

struct GlossaryTermView: MustacheParent {
  var id: String                    // the anchor: glossary.html#fvu
  var term: String
  var text: String
  func child(named name: String) -> Any? {
    switch name {
    case "id": id
    case "term": term
    case "text": text
    default: nil
    }
  }
}

enum GlossaryPage {
  static let file = "glossary.html"

  /// The terms, in the order a newcomer meets them. `analysed` and `heldOut` fill in this atlas's counts.
  static func terms(analysed: Int, heldOut: Int, minimumFirings: Int) -> [(id: String, term: String, text: String)] {
    [
      ("feature", "Feature",
       "A direction in the language model's internal state that the sparse autoencoder learned. On most tokens a feature is zero; on some it "
         + "“fires” with a positive value (its activation). Each point on the map is one feature; its page shows the text that makes it fire."),
      ("sae", "Sparse autoencoder (SAE)",
       "A small network trained to rewrite the model's internal state at one layer as a sum of a few features out of thousands, and to "
         + "rebuild the state from them. The quality figures below say how well it does."),
      ("fvu", "FVU (fraction of variance unexplained)",
       "How much of the variation in the model's internal state the SAE fails to rebuild, on held-out text: 0 is perfect, 1 is no better "
         + "than always guessing the average. Lower is better."),
      ("l0", "L0",
       "How many features are active on a token, on average. Smaller means each token is explained by fewer features, which is easier to read."),
      ("ce-loss-recovered", "CE loss recovered",
       "How much of the model's skill at predicting the next word survives when the layer's state is replaced by the SAE's rebuilt "
         + "version: 100% means nothing is lost; 0% is as bad as erasing the layer altogether (zero-ablation). CE is cross-entropy, the "
         + "model's next-token loss."),
      ("activation", "Activation",
       "How strongly a feature fires on a token. Examples on feature pages shade each token by its activation, relative to the feature's maximum."),
      ("density", "Density",
       "The share of the analysed tokens on which a feature fires. A density of 0.1% means it fires on about one token in a thousand."),
      ("dead", "Dead",
       "A feature that never fired on the \(Format.count(analysed)) analysed tokens. This is the one meaning of “dead” on every page; the run "
         + "page also lists features that were merely silent on the smaller held-out set, under another name."),
      ("dense", "Dense", "A feature that fires on more than 10% of the analysed tokens: often too broad to name."),
      ("tokens", "Analysed and held-out tokens",
       "The corpus is cut into windows of text. Most windows are analysed (statistics and examples come from them); a share is held out "
         + "and used only to test labels and SAE quality (\(Format.count(heldOut)) held-out tokens here). The first token of every window "
         + "is never counted: the model treats it as an “attention sink” with an outsized internal state."),
      ("label", "Label and description",
       "A feature's pattern label names the tokens it fires on; its description (when there is one) names what those tokens have in "
         + "common, in words, for instance a WordNet class. Both are guesses made from the analysed text and tested on held-out text. "
         + "A description that begins “at its strongest” was made from, and tested on, only the feature's firings at 65% or "
         + "more of its largest activation (by default): it says what its top examples show, not everything it fires on."),
      ("evidence", "Evidence (balanced accuracy)",
       "How well a label predicts where the feature fires on held-out text it was not built from: the average of the share of firings "
         + "the label covers and the share of other tokens it correctly leaves out. 0.5 is chance, 1 is perfect. Shown green from 0.80, "
         + "amber from 0.65, red below."),
      ("insufficient", "Insufficient evidence",
       "Fewer than \(minimumFirings) held-out firings: too few to judge a label (a single firing scores 0 or 1), so no score colour is shown."),
      ("contradicted", "Contradicted",
       "The held-out test does not support the label. The label is still shown, flagged, so that a reader does not take it at its word."),
      ("over-represented", "Over-represented in",
       "The corpus source where a feature fires most out of proportion to the source's size: its share of the feature's firings, beside "
         + "its share of all the text. A feature can fire most often in a big source and still be over-represented in a small one."),
      ("cluster", "Cluster",
       "A group of features near each other on the map, named after what their labels share. Clusters nest: coarse groups hold finer ones."),
      ("map", "Map distance and decoder cosine",
       "Features are placed so that features with similar directions sit close together (a UMAP layout). Decoder cosine measures that "
         + "similarity exactly, in the full space; the 2D map can only approximate it."),
      ("logit-effects", "Logit effects",
       "The next tokens a feature makes more likely (promoted) or less likely (suppressed) when it fires, read directly from its direction."),
      ("steering", "Steering",
       "Adding a feature's direction to the model's internal state while it writes, to see whether the text takes on the feature's concept."),
    ]
  }

  static func view(_ input: SiteInput) -> GlossaryView {
    let terms = terms(analysed: input.features.analysedTokens, heldOut: input.features.heldOutTokens,
                      minimumFirings: EvidenceGrade.minimumFirings)
      .map { GlossaryTermView(id: $0.id, term: $0.term, text: $0.text) }
    let sources = (input.record.corpus?.sources ?? []).map { s in
      SourceRowView(name: Markup.displayable(s.name), about: Markup.displayable(s.about ?? "not described (a user-supplied source)"),
                    firings: "", text: input.sources.textShare[s.name].map(Format.percent) ?? "n/a", over: false)
    }
    return GlossaryView(chrome: ChromeView.make(input, title: "Glossary", root: "", current: "glossary", bodyClass: "page-glossary"),
                        terms: terms, sources: sources)
  }
}

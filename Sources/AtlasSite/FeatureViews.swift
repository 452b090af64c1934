import Mustache

/// View models of a feature page (see `FeaturePage` for how they are filled).
struct FeatureView: MustacheParent {
  var chrome: ChromeView
  var id: String
  var label: String
  var description: [DescriptionView]   // zero or one
  var patternLabel: String
  var labelBasis: String
  var pattern: String
  var hasEvidence: Bool
  var evidenceScore: String
  var evidenceWhat: String
  var evidenceTone: String
  var evidenceText: String
  var contradicted: Bool
  var contradictionNote: String
  var badges: [MetricView]
  var stats: [MetricView]
  var clusterPath: [LinkView]
  var histogramSVG: String
  var histogramCaption: String
  var topTokens: [LinkView]
  var examplesNote: String
  var topExamples: String          // example figures, our own markup (TokenStrip.figure)
  var quantileGroups: [GroupView]
  var intervalGroups: [GroupView]
  var promoted: [LogitView]
  var suppressed: [LogitView]
  var decoderNeighbours: [LinkView]
  var coactivationNeighbours: [LinkView]
  var minimapSVG: String
  var sources: [SourceRowView]
  var steering: [SteeredFeatureView]
  var steeringMethod: String
  var prev: [LinkView]
  var next: [LinkView]

  func child(named name: String) -> Any? {
    switch name {
    case "chrome": chrome
    case "id": id
    case "label": label
    case "description": description
    case "hasDescription": !description.isEmpty
    case "patternLabel": patternLabel
    case "labelBasis": labelBasis
    case "pattern": pattern
    case "hasPattern": !pattern.isEmpty
    case "hasEvidence": hasEvidence
    case "evidenceScore": evidenceScore
    case "evidenceWhat": evidenceWhat
    case "evidenceTone": evidenceTone
    case "evidenceText": evidenceText
    case "contradicted": contradicted
    case "contradictionNote": contradictionNote
    case "badges": badges
    case "stats": stats
    case "clusterPath": clusterPath
    case "histogramSVG": histogramSVG
    case "histogramCaption": histogramCaption
    case "topTokens": topTokens
    case "examplesNote": examplesNote
    case "topExamples": topExamples
    case "hasTopExamples": !topExamples.isEmpty
    case "quantileGroups": quantileGroups
    case "hasQuantiles": !quantileGroups.isEmpty
    case "intervalGroups": intervalGroups
    case "hasIntervals": !intervalGroups.isEmpty
    case "promoted": promoted
    case "suppressed": suppressed
    case "hasLogits": !promoted.isEmpty || !suppressed.isEmpty
    case "decoderNeighbours": decoderNeighbours
    case "coactivationNeighbours": coactivationNeighbours
    case "hasCoactivation": !coactivationNeighbours.isEmpty
    case "minimapSVG": minimapSVG
    case "sources": sources
    case "hasSources": !sources.isEmpty
    case "steering": steering
    case "steeringMethod": steeringMethod
    case "prev": prev
    case "next": next
    default: nil
    }
  }
}

/// One corpus source of a feature: its share of the feature's firings beside its share of the text.
struct SourceRowView: MustacheParent {
  var name: String
  var about: String                 // the source in plain words ("" when not described)
  var firings: String
  var text: String
  var over: Bool                    // the over-represented source named above the list
  func child(named name: String) -> Any? {
    switch name {
    case "name": self.name
    case "about": about
    case "hasAbout": !about.isEmpty
    case "firings": firings
    case "text": text
    case "over": over
    default: nil
    }
  }
}

/// A band of activation values with its examples ("quantile 50–75%", "interval 2.1–4.2").
struct GroupView: MustacheParent {
  var title: String
  var caption: String
  var examples: String             // example figures, our own markup (TokenStrip.figure)
  func child(named name: String) -> Any? {
    switch name {
    case "title": title
    case "caption": caption
    case "examples": examples
    default: nil
    }
  }
}

/// A promoted or suppressed token with a bar (`w0` … `w20`, width in 5% steps of the largest effect).
struct LogitView: MustacheParent {
  /// Tokens up to this many characters (escaped) fit the logit column; longer ones get a `title`.
  static let unclipped = 12

  var token: String
  var value: String
  var bar: String
  func child(named name: String) -> Any? {
    switch name {
    case "token": token
    case "clipped": token.count > LogitView.unclipped    // may be cut by the column: the full token on hover
    case "value": value
    case "bar": bar
    default: nil
    }
  }
}

/// A steered feature: its sentence, curve, default-vs-chosen comparisons and the whole sweep (feature
/// pages and the steering gallery).
struct SteeredFeatureView: MustacheParent {
  var href: String
  var id: String
  var label: String
  var reason: String
  var maxActivation: String
  var sentence: String
  var curveSVG: String              // our own SVG (triple braces)
  var comparisons: [SteeringComparisonView]
  var sweep: [SteeringSweepRowView]
  func child(named name: String) -> Any? {
    switch name {
    case "href": href
    case "id": id
    case "label": label
    case "reason": reason
    case "maxActivation": maxActivation
    case "sentence": sentence
    case "curveSVG": curveSVG
    case "hasCurve": !curveSVG.isEmpty
    case "comparisons": comparisons
    case "sweep": sweep
    case "hasSweep": !sweep.isEmpty
    default: nil
    }
  }
}

/// One prompt: the default answer beside the chosen steered one, changed tokens marked.
struct SteeringComparisonView: MustacheParent {
  var prompt: String
  var defaultHTML: String           // escaped token strip (triple braces)
  var steeredHTML: String
  var chosen: String                // "add 2.4×"
  var verdict: String
  var tone: String                  // "pos" or "flat"
  func child(named name: String) -> Any? {
    switch name {
    case "prompt": prompt
    case "defaultHTML": defaultHTML
    case "steeredHTML": steeredHTML
    case "chosen": chosen
    case "verdict": verdict
    case "tone": tone
    default: nil
    }
  }
}

/// Every strength of one prompt's sweep, on one row.
struct SteeringSweepRowView: MustacheParent {
  var prompt: String
  var cells: [SteeringCellView]
  func child(named name: String) -> Any? {
    switch name {
    case "prompt": prompt
    case "cells": cells
    default: nil
    }
  }
}

struct SteeringCellView: MustacheParent {
  var strength: String              // "add 2.4×"
  var text: String                  // escaped token strip (triple braces)
  var scores: String
  var tone: String                  // "base", "neg", "pos", "flat", "chosen"
  func child(named name: String) -> Any? {
    switch name {
    case "strength": strength
    case "text": text
    case "scores": scores
    case "tone": tone
    default: nil
    }
  }
}

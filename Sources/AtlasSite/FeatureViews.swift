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

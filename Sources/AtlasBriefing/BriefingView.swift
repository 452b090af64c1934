/// The briefing's view model: every string formatted, every piece of markup built and escaped by our own
/// code. `templates/briefing.mustache` lays it out (Mustache reads these fields by name).
package struct BriefingView: Sendable {
  package var title: String
  package var subtitle: String
  package var organisation: String
  package var author: String
  package var date: String
  package var hasOrganisation: Bool
  package var hasAuthor: Bool
  package var pageSize: String                 // CSS @page size: "A4" or "letter"

  package var summary: [Paragraph]
  package var keyNumbers: [KeyNumber]
  package var scan: ScanView
  package var steering: SteeringSectionView
  package var properties: PropertiesView
  package var implications: [Paragraph]
  package var limits: [Paragraph]
  package var method: [MethodRow]
  package var rebuild: [String]                // shell commands, one per line
  package var generator: String                // "feature-atlas 0.x"
}

package struct KeyNumber: Sendable {
  package var value: String
  package var caption: String
}

package struct ScanView: Sendable {
  package var heading: String
  package var intro: [Paragraph]
  package var map: String                      // SVG
  package var caption: Paragraph
  package var rows: [FeatureRow]
  package var hasRows: Bool
}

package struct FeatureRow: Sendable {
  package var reference: String                // id, linked when the site is there (escaped HTML)
  package var label: String
  package var sentence: String
  package var example: String                  // escaped HTML, peak token in <mark>
  package var doubtful: Bool                   // the label did not hold up on held-out text
}

package struct SteeringSectionView: Sendable {
  package var intro: [Paragraph]
  package var panels: [SteeringPanel]
  package var empty: String                    // shown when there are no panels
  package var hasPanels: Bool
}

package struct SteeringPanel: Sendable {
  package var number: Int                      // figure number
  package var heading: Paragraph               // feature reference and label
  package var prompt: String
  package var strength: String
  package var left: String                     // escaped HTML, changed words marked
  package var right: String
  package var what: Paragraph                  // a sentence on what changed
}

package struct PropertiesView: Sendable {
  package var intro: [Paragraph]
  package var directions: [Paragraph]
  package var directionFigure: DirectionFigure?
  package var distances: [Paragraph]
  package var distanceMap: String              // SVG, empty when there is no neighbour to show
  package var distanceCaption: Paragraph
  package var coordinates: [Paragraph]
  package var coordinateRows: [CoordinateRow]
  package var coordinateCaption: Paragraph
  package var hasDistanceMap: Bool
  package var hasCoordinateRows: Bool
}

package struct DirectionFigure: Sendable {
  package var number: Int
  package var prompt: String
  package var left: String
  package var right: String
  package var caption: Paragraph
}

package struct CoordinateRow: Sendable {
  package var value: String                    // "8.1"
  package var width: String                    // bar width in percent of the row ("72")
  package var band: String                     // "strongest", "middling", "weak"
  package var snippet: String                  // escaped HTML
}

package struct MethodRow: Sendable {
  package var term: String
  package var value: String
  package var code: Bool                       // show the value in monospace (hashes, names, commands)
}

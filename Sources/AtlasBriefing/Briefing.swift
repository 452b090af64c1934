import AtlasArtifacts
import AtlasSite
import Foundation

/// What the caller decides about one briefing (the pipeline fills it from flags and `atlas.yaml`).
public struct BriefingRequest: Sendable {
  public var configuration: BriefingConfiguration
  /// Topic words from the command line; when empty, `configuration.topics`.
  public var topics: [String]
  /// Shell commands that rebuild the atlas and this briefing, shown in the method box.
  public var rebuild: [String]
  /// The atlas's `site/` folder relative to the briefing's folder ("../site"), when the site exists; feature
  /// ids then link to their pages. Nil: ids are plain text.
  public var siteLink: String?
  /// "feature-atlas 0.3.0", printed in the method box.
  public var generator: String

  public init(configuration: BriefingConfiguration = BriefingConfiguration(), topics: [String] = [], rebuild: [String] = [],
              siteLink: String? = nil, generator: String = "feature-atlas") {
    self.configuration = configuration
    self.topics = topics
    self.rebuild = rebuild
    self.siteLink = siteLink
    self.generator = generator
  }

  var topicWords: [String] { topics.isEmpty ? configuration.topics : topics }
}

/// Builds the policymaker briefing of one atlas: reads the artifacts once, then renders the one-file
/// XHTML document (CSS and SVG inline, no script) with `templates/briefing.mustache`. Printing the PDF
/// is the pipeline's job.
public struct Briefing: Sendable {
  let input: BriefingInput
  let examples: [Int: FeatureRecord]         // full records of the features the text may show

  /// The timestamp of the atlas (`atlas.json` createdAt), which the PDF's dates are set to.
  public var createdAt: String { input.record.createdAt }
  /// The document title as configured or derived (also the PDF's title).
  public func title(_ request: BriefingRequest) -> String { Composer.title(input, request.configuration) }

  public init(atlas: AtlasDirectory, request: BriefingRequest) throws {
    let input = try BriefingInput.read(atlas)
    for f in request.configuration.features where f < 0 || f >= input.count {
      throw BriefingError.unknownFeature(f, features: input.count)
    }
    self.input = input
    examples = try input.fullRecords(Composer.featuresNeedingExamples(input, request))
  }

  /// The topic the brain scan shows (for the command's report).
  public func topicReport(_ request: BriefingRequest) -> (name: String, features: Int, unmatched: [String]) {
    let t = Composer.topic(input, request)
    return (t.name, t.features.count, t.unmatched)
  }

  /// The view model; `links: false` writes feature ids as plain text (for the PDF, where a relative link
  /// would turn into an absolute file path of this machine).
  package func view(_ request: BriefingRequest, links: Bool) -> BriefingView {
    Composer(input: input, request: request, examples: examples, links: links).view()
  }

  /// The briefing as one XHTML document.
  public func html(_ request: BriefingRequest, links: Bool, resources: SiteResources) throws -> String {
    let template = try BriefingTemplate(directory: resources.templates)
    return try template.render(view(request, links: links))
  }
}

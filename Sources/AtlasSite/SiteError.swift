/// What can go wrong rendering a site. Each case says what was expected, what was found and what to do.
public enum SiteError: Error, CustomStringConvertible, Equatable {
  /// No directory with both `templates/` and `site/` was found; `searched` lists every place tried, in order.
  case resourcesNotFound(searched: [String])
  /// A template the renderer needs is not in the templates directory.
  case missingTemplate(name: String, directory: String)
  /// A template file exists but is not valid Mustache.
  case invalidTemplate(name: String, path: String, reason: String)
  /// The artifacts disagree with each other (e.g. the layout has fewer points than there are features).
  case inconsistentArtifacts(String)
  /// Writing the site failed.
  case writeFailed(path: String, reason: String)

  public var description: String {
    switch self {
    case .resourcesNotFound(let searched):
      "no templates/ and site/ directories found; looked in: \(searched.joined(separator: ", ")). "
        + "Pass --resources DIR or set FEATURE_ATLAS_RESOURCES to a directory holding both"
    case .missingTemplate(let name, let directory):
      "template '\(name).mustache' is missing from \(directory); restore it from the feature-atlas repository "
        + "or point --resources at a complete copy"
    case .invalidTemplate(let name, let path, let reason):
      "template '\(name)' (\(path)) is not valid Mustache: \(reason)"
    case .inconsistentArtifacts(let reason):
      "the atlas artifacts disagree: \(reason); re-run `feature-atlas build` to regenerate them together"
    case .writeFailed(let path, let reason):
      "could not write \(path): \(reason) (is the disk full or the directory read-only?)"
    }
  }
}

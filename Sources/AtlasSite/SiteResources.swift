import AtlasArtifacts
import Foundation

/// Where the Mustache templates (`templates/`) and the hand-written front-end files (`site/`) live.
///
/// A user can point at their own copies to rebrand an atlas; the binary otherwise finds the copies in
/// the source tree it was built from.
public struct SiteResources: Sendable, Equatable {
  /// The directory of `*.mustache` templates.
  public let templates: URL
  /// The directory of CSS, JS and icons copied into every atlas as `site/assets/`.
  public let assets: URL

  public init(templates: URL, assets: URL) {
    self.templates = templates
    self.assets = assets
  }

  /// A directory holding both `templates/` and `site/`.
  public init(directory: URL) {
    self.init(templates: directory.appendingPathComponent("templates"), assets: directory.appendingPathComponent("site"))
  }

  /// The environment variable naming a directory that holds `templates/` and `site/`.
  public static let environmentVariable = "FEATURE_ATLAS_RESOURCES"

  /// Finds the resources: `explicit` if given, else `$FEATURE_ATLAS_RESOURCES`, else the first directory
  /// holding `Package.swift` walking up from this source file. An explicit or environment choice that
  /// lacks `templates/` or `site/` is an error (it is not silently replaced by another copy).
  public static func locate(
    explicit: URL? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment,
    sourceFile: String = #filePath
  ) throws -> SiteResources {
    if let explicit {
      return try validated(explicit, searched: [explicit.path + " (explicit)"])
    }
    if let value = environment[environmentVariable], !value.isEmpty {
      let url = URL(fileURLWithPath: value)
      return try validated(url, searched: ["\(url.path) ($\(environmentVariable))"])
    }
    if let root = PackageLocations.packageRoot(above: sourceFile) {
      return try validated(root, searched: [root.path + " (package root)"])
    }
    throw SiteError.resourcesNotFound(searched: ["no Package.swift above \(sourceFile)"])
  }

  private static func validated(_ directory: URL, searched: [String]) throws -> SiteResources {
    let resources = SiteResources(directory: directory)
    var isDirectory: ObjCBool = false
    for needed in [resources.templates, resources.assets] {
      guard FileManager.default.fileExists(atPath: needed.path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw SiteError.resourcesNotFound(searched: searched.dropLast() + ["\(searched.last ?? directory.path): no \(needed.lastPathComponent)/"])
      }
    }
    return resources
  }
}

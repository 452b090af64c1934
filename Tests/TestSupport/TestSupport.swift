import Foundation

/// Locations shared by the test suites: the repository root, the shared reference data and the real model.
public enum TestPaths {
  /// The package root (the directory holding Package.swift), found from this source file.
  public static let packageRoot: URL = {
    var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while url.path != "/" {
      if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
      url.deleteLastPathComponent()
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
  }()

  /// The real SmolLM2 GGUF, when set up (`FEATURE_ATLAS_MODEL`, else `.cache/model/...` under the package).
  public static var smolLM2: URL? {
    if let path = ProcessInfo.processInfo.environment["FEATURE_ATLAS_MODEL"], FileManager.default.fileExists(atPath: path) {
      return URL(fileURLWithPath: path)
    }
    let local = packageRoot.appendingPathComponent(".cache/model/SmolLM2-135M-Instruct.Q4_1.gguf")
    return FileManager.default.fileExists(atPath: local.path) ? local : nil
  }

  /// A scratch directory unique to one test, removed by the caller when done.
  public static func scratchDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("feature-atlas-tests")
      .appendingPathComponent("\(name)-\(getpid())-\(UInt64.random(in: 0 ... .max))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}

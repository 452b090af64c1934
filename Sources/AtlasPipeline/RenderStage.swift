import AtlasArtifacts
import AtlasSite
import Foundation

/// Rendering the site from the artifacts (no model, no SAE): wraps AtlasSite.
public enum RenderStage {
  /// Digest of the templates and front-end assets, so a changed template re-renders.
  public static func resourceDigest(_ explicit: URL?) throws -> String {
    let resources = try SiteResources.locate(explicit: explicit)
    var hasher = SHA256()
    for folder in [resources.templates, resources.assets] {
      let names = (try FileManager.default.contentsOfDirectory(atPath: folder.path)).sorted()
      for name in names {
        let url = folder.appendingPathComponent(name)
        hasher.update(name)
        if let data = try? Data(contentsOf: url) { hasher.update(data) }
      }
    }
    return hasher.hexDigest()
  }

  /// Renders `<atlas>/site/` and returns figures for atlas.json (pages, bytes, seconds).
  public static func run(atlas: AtlasDirectory, resources: URL?, progress: any ProgressSink) throws -> [String: Double] {
    let renderer = SiteRenderer(resources: try SiteResources.locate(explicit: resources))
    let report = try renderer.render(atlas: atlas) { p in
      progress.progress("render \(p.phase)", done: p.done, total: p.total, unit: "pages")
    }
    progress.finish("render")
    return ["pages": Double(report.pages), "files": Double(report.files), "bytes": Double(report.bytes),
            "indexBytes": Double(report.indexBytes), "renderSeconds": report.seconds]
  }
}

extension RenderStage {
  /// Rewrites `site/run.html` once the render's own time is in atlas.json.
  public static func refreshRunPage(atlas: AtlasDirectory, resources: URL?) throws {
    try SiteRenderer(resources: try SiteResources.locate(explicit: resources)).renderRunPage(atlas: atlas)
  }
}

import AtlasArtifacts
import AtlasFixtures
import Foundation
import TestSupport
import Testing

import AtlasSite

@Suite("Finding templates and assets")
struct ResourcesTests {
  @Test("Without a flag or variable, the resources are found by walking up to Package.swift")
  func walkUp() throws {
    let found = try SiteResources.locate(explicit: nil, environment: [:])
    #expect(found.templates.path == TestPaths.packageRoot.appendingPathComponent("templates").path)
    #expect(found.assets.path == TestPaths.packageRoot.appendingPathComponent("site").path)
  }

  @Test("An explicit directory wins over the environment variable, which wins over the source tree")
  func precedence() throws {
    let explicit = try copyOfResources("explicit")
    let fromEnvironment = try copyOfResources("environment")
    defer { try? FileManager.default.removeItem(at: explicit); try? FileManager.default.removeItem(at: fromEnvironment) }
    let environment = [SiteResources.environmentVariable: fromEnvironment.path]
    #expect(try SiteResources.locate(explicit: explicit, environment: environment).templates.path
      == explicit.appendingPathComponent("templates").path)
    #expect(try SiteResources.locate(explicit: nil, environment: environment).templates.path
      == fromEnvironment.appendingPathComponent("templates").path)
  }

  @Test("A directory without templates/ is an error that names where it looked")
  func missingDirectory() throws {
    let empty = try TestPaths.scratchDirectory("resources-empty")
    defer { try? FileManager.default.removeItem(at: empty) }
    #expect {
      try SiteResources.locate(explicit: empty, environment: [:])
    } throws: { error in
      guard case SiteError.resourcesNotFound(let searched) = error else { return false }
      return searched.contains { $0.contains(empty.path) } && "\(error)".contains("templates/")
    }
    #expect {
      try SiteResources.locate(explicit: nil, environment: [SiteResources.environmentVariable: empty.path])
    } throws: { error in "\(error)".contains("FEATURE_ATLAS_RESOURCES") && "\(error)".contains(empty.path) }
  }

  @Test("A missing template fails the render with its name and directory, and leaves no site behind")
  func missingTemplate() throws {
    let copy = try copyOfResources("missing-template")
    defer { try? FileManager.default.removeItem(at: copy) }
    try FileManager.default.removeItem(at: copy.appendingPathComponent("templates/feature.mustache"))
    let (atlas, _) = try SiteFixture.atlas("missing-template-atlas", options: small(), render: false)
    defer { try? FileManager.default.removeItem(at: atlas.root) }
    #expect {
      try SiteRenderer(resources: SiteResources(directory: copy)).render(atlas: atlas)
    } throws: { error in
      error as? SiteError == .missingTemplate(name: "feature", directory: copy.appendingPathComponent("templates").path)
    }
    #expect(!FileManager.default.fileExists(atPath: atlas.site.path))
  }

  @Test("A template that is not valid Mustache names its file")
  func invalidTemplate() throws {
    let copy = try copyOfResources("invalid-template")
    defer { try? FileManager.default.removeItem(at: copy) }
    try Data("{{#unclosed}} section".utf8).write(to: copy.appendingPathComponent("templates/run.mustache"))
    #expect {
      try SiteRenderer(resources: SiteResources(directory: copy)).render(atlas: AtlasDirectory(copy))
    } throws: { error in
      guard case SiteError.invalidTemplate(let name, let path, _) = error else { return false }
      return name == "run" && path.hasSuffix("templates/run.mustache")
    }
  }

  /// A copy of the repository's templates/ and site/ in a scratch directory.
  private func copyOfResources(_ name: String) throws -> URL {
    let root = try TestPaths.scratchDirectory(name)
    for sub in ["templates", "site"] {
      try FileManager.default.copyItem(at: TestPaths.packageRoot.appendingPathComponent(sub), to: root.appendingPathComponent(sub))
    }
    return root
  }

  private func small() -> SyntheticAtlasOptions {
    var options = SyntheticAtlasOptions()
    options.features = 40
    options.clusters = [3, 6, 10]
    return options
  }
}

import AtlasArtifacts
import Dispatch
import Foundation

/// Knobs of the rendered site. Defaults suit atlases from a few hundred to 100k+ features.
public struct SiteOptions: Sendable, Equatable {
  /// Feature rows per cluster page; larger clusters are split into numbered pages.
  public var membersPerPage: Int
  /// Points drawn in the index's inline SVG (what reads without JavaScript); beyond it every k-th point.
  public var staticMapPoints: Int
  /// Features per `data/map-NNN.js` chunk that the map script loads to draw every point.
  public var mapChunkSize: Int
  public init(membersPerPage: Int = 500, staticMapPoints: Int = 20_000, mapChunkSize: Int = 4_096) {
    self.membersPerPage = max(1, membersPerPage)
    self.staticMapPoints = max(1, staticMapPoints)
    self.mapChunkSize = max(1, mapChunkSize)
  }
}

/// Where rendering is: `phase` ("features", "clusters", ...), `done` of `total` items.
public struct SiteProgress: Sendable, Equatable {
  public var phase: String
  public var done: Int
  public var total: Int
}

/// What a render produced.
public struct SiteReport: Sendable, Equatable {
  public var output: URL
  public var features: Int
  public var clusters: Int
  public var pages: Int             // HTML files
  public var files: Int             // all files, assets and data included
  public var bytes: Int
  public var indexBytes: Int
  public var mapChunks: Int
  public var staticMapPoints: Int
  public var seconds: Double
  /// Wall-clock seconds per phase ("read", "index", "features", "clusters", "run", "swap"), in order.
  public var phases: [(name: String, seconds: Double)]

  public static func == (a: SiteReport, b: SiteReport) -> Bool {
    a.output == b.output && a.features == b.features && a.clusters == b.clusters && a.pages == b.pages && a.files == b.files
      && a.bytes == b.bytes && a.indexBytes == b.indexBytes && a.mapChunks == b.mapChunks && a.staticMapPoints == b.staticMapPoints
      && a.seconds == b.seconds && a.phases.map(\.name) == b.phases.map(\.name) && a.phases.map(\.seconds) == b.phases.map(\.seconds)
  }
}

/// Renders `<atlas>/site/` from the atlas's artifacts with the Mustache templates and front-end assets of
/// `resources`. Reads artifacts only (never the model or the SAE). The site is written to a temporary
/// directory next to it and swapped into place at the end, so a failed render never replaces a good site.
public struct SiteRenderer: Sendable {
  public let resources: SiteResources
  public let options: SiteOptions

  public init(resources: SiteResources, options: SiteOptions = SiteOptions()) {
    self.resources = resources
    self.options = options
  }

  @discardableResult
  public func render(atlas: AtlasDirectory, progress: @escaping @Sendable (SiteProgress) -> Void = { _ in }) throws -> SiteReport {
    let start = Date()
    let clock = PhaseClock()
    let templates = try Templates(directory: resources.templates)
    let input = try SiteInput.read(atlas)
    clock.lap("read")
    let staging = atlas.root.appendingPathComponent(".site.partial-\(getpid())")
    try? FileManager.default.removeItem(at: staging)
    do {
      let writer = try SiteWriter(root: staging, subdirectories: ["assets", "data", "data/features", "features", "clusters"])
      try writer.copyAssets(from: resources.assets)
      let report = try renderPages(input, templates: templates, writer: writer, clock: clock, progress: progress)
      try SiteWriter.swap(staging, into: atlas.site)
      clock.lap("swap")
      return SiteReport(output: atlas.site, features: input.map.count, clusters: report.clusters, pages: report.pages,
                        files: writer.files, bytes: writer.bytes, indexBytes: report.indexBytes, mapChunks: report.chunks,
                        staticMapPoints: report.staticPoints, seconds: Date().timeIntervalSince(start), phases: clock.laps)
    } catch {
      try? FileManager.default.removeItem(at: staging)
      throw error
    }
  }

  /// Rewrites only `site/run.html` (atomically), for a build that records the render's own time after
  /// the render: the one page that shows it is refreshed instead of rendering the whole site twice.
  public func renderRunPage(atlas: AtlasDirectory) throws {
    let templates = try Templates(directory: resources.templates)
    let input = try SiteInput.read(atlas)
    let steering = SteeringIndex(input.steering)
    let html = try templates.render(RunPage.view(input, steering: steering), page: "run")
    try AtomicFile.write(html, to: atlas.site.appendingPathComponent("run.html"))
  }

  private struct Counts { var clusters = 0; var pages = 0; var indexBytes = 0; var chunks = 0; var staticPoints = 0 }

  private func renderPages(_ input: SiteInput, templates: Templates, writer: SiteWriter, clock: PhaseClock,
                           progress: @escaping @Sendable (SiteProgress) -> Void) throws -> Counts {
    var counts = Counts()
    let steering = SteeringIndex(input.steering)

    // MARK: Map data and index
    let chunks = MapData.chunkCount(features: input.map.count, chunkSize: options.mapChunkSize)
    let failures = ErrorList()
    DispatchQueue.concurrentPerform(iterations: chunks) { k in
      failures.run { try writer.write(MapData.chunk(k, input: input, chunkSize: options.mapChunkSize), to: MapData.chunkFile(k)) }
    }
    try failures.check()
    let index = IndexPage.view(input, pointLimit: options.staticMapPoints)
    let indexHTML = try templates.render(index, page: "index")
    try writer.write(indexHTML, to: "index.html")
    let shownPoints = index.staticPoints
    try writer.write(MapData.meta(input, chunkSize: options.mapChunkSize, staticPoints: shownPoints), to: MapData.metaFile())
    counts.indexBytes = indexHTML.utf8.count
    counts.chunks = chunks
    counts.staticPoints = shownPoints
    counts.pages += 1
    progress(SiteProgress(phase: "index", done: 1, total: 1))
    clock.lap("index")

    // MARK: Feature pages, shard by shard on every core; the point layers their neighbourhood windows show
    for layer in MapSVG.pointWidths.indices { try writer.write(MapSVG.pointsSVG(input, layer: layer), to: MapSVG.pointsFile(layer)) }
    let shards = input.features.shards
    let done = Counter()
    let windows = WindowTable()
    DispatchQueue.concurrentPerform(iterations: shards) { s in
      failures.run {
        let shard = try input.shard(s)
        for record in shard.records {
          guard record.index >= 0, record.index < input.map.count else {
            throw SiteError.inconsistentArtifacts("shard \(s) holds feature \(record.index), outside 0..<\(input.map.count)")
          }
          let view = FeaturePage.view(record, input: input, steering: steering)
          try writer.write(try templates.render(view, page: "feature"), to: "features/" + input.naming.featureFile(record.index))
          try writer.write(try FeatureData.script(record, input: input, windows: windows),
                           to: FeatureData.file(record.index, naming: input.naming))
        }
        progress(SiteProgress(phase: "features", done: done.add(shard.records.count), total: input.map.count))
      }
    }
    try failures.check()
    try writer.write(windows.script(about: input.sources.about), to: FeatureData.windowsFile)
    counts.pages += input.map.count
    clock.lap("features")

    // MARK: Cluster pages
    let tables = ClusterTables(input)
    try writer.write(MapSVG.backdropSVG(tables.backdrop), to: MapSVG.backdropFile)
    var jobs: [(level: Int, id: Int, page: Int)] = []
    for (level, record) in input.hierarchy.levels.enumerated() {
      for c in record.clusters {
        for page in 1 ... ClusterPage.pageCount(size: tables.members[level][c.id].count, perPage: options.membersPerPage) {
          jobs.append((level, c.id, page))
        }
      }
      counts.clusters += record.clusters.count
    }
    let jobList = jobs
    DispatchQueue.concurrentPerform(iterations: jobList.count) { k in
      failures.run {
        let job = jobList[k]
        let view = ClusterPage.view(level: job.level, id: job.id, page: job.page, perPage: options.membersPerPage, input: input,
                                    tables: tables)
        try writer.write(try templates.render(view, page: "cluster"),
                         to: "clusters/" + input.naming.clusterFile(level: job.level, id: job.id, page: job.page))
      }
    }
    try failures.check()
    counts.pages += jobList.count
    try writer.write(try templates.render(ClusterListPage.view(input, tables: tables), page: "clusters"), to: ClusterListPage.file)
    counts.pages += 1
    progress(SiteProgress(phase: "clusters", done: jobList.count, total: jobList.count))
    clock.lap("clusters")

    // MARK: Run and steering pages
    try writer.write(try templates.render(RunPage.view(input, steering: steering), page: "run"), to: "run.html")
    try writer.write(try templates.render(SteeringGalleryView.make(input, steering: steering), page: "steering"), to: "steering.html")
    try writer.write(try templates.render(GlossaryPage.view(input), page: "glossary"), to: GlossaryPage.file)
    counts.pages += 3
    progress(SiteProgress(phase: "run", done: 1, total: 1))
    clock.lap("run")

    // MARK: Topic pages (from `feature-atlas probe`); the search data always, so the index can load it
    if input.topics.isEmpty {
      try writer.write(TopicPage.searchData([], input: input), to: "data/topics.js")
    } else {
      counts.pages += try TopicPage.write(input.topics, input: input, templates: templates, into: writer.root)
    }
    clock.lap("topics")
    return counts
  }
}

/// Errors from parallel work: the first is rethrown by `check()`.
final class ErrorList: @unchecked Sendable {
  private var errors: [Error] = []
  private let lock = NSLock()
  func run(_ body: () throws -> Void) {
    do { try body() } catch { lock.withLock { errors.append(error) } }
  }
  func check() throws {
    if let first = lock.withLock({ errors.first }) { throw first }
  }
}

/// Wall-clock laps of the render's phases.
final class PhaseClock: @unchecked Sendable {
  private var last = Date()
  private(set) var laps: [(name: String, seconds: Double)] = []
  func lap(_ name: String) {
    let now = Date()
    laps.append((name, now.timeIntervalSince(last)))
    last = now
  }
}

final class Counter: @unchecked Sendable {
  private var value = 0
  private let lock = NSLock()
  func add(_ n: Int) -> Int { lock.withLock { value += n; return value } }
}

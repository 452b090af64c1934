import ArgumentParser
import AtlasArtifacts
import AtlasPipeline
import Foundation

extension StageName: ExpressibleByArgument {}
extension AtlasConfiguration.Preset: ExpressibleByArgument {}

/// Options shared by `build` and the single-stage commands: configuration file, preset, overrides.
struct ConfigurationOptions: ParsableArguments {
  @Option(name: .long, help: "A YAML configuration (see `feature-atlas init`); flags override it.")
  var config: String?
  @Option(name: .long, help: ArgumentHelp(
    "Start from a preset: default (\(ConfigurationOptions.describe(.default))) or quick (\(ConfigurationOptions.describe(.quick)), under 2 minutes); without it, the atlas's saved configuration where the command reuses one, else default."))
  var preset: AtlasConfiguration.Preset?
  @Option(name: .long, help: "Site resources folder holding templates/ and site/ (default: FEATURE_ATLAS_RESOURCES, else this checkout's).")
  var resources: String?

  /// Preset (or the atlas's own saved configuration, or the default), then the YAML file.
  func configuration(atlas: AtlasDirectory, reuseSaved: Bool) throws -> AtlasConfiguration {
    var c: AtlasConfiguration
    if let preset {
      c = AtlasConfiguration.preset(preset)
    } else if reuseSaved, FileManager.default.fileExists(atPath: atlas.atlasRecord.path) {
      // The atlas's own configuration: one that no longer decodes is an error, never a silent default.
      let saved = try AtlasRecord.read(from: atlas.atlasRecord)
      c = try AtlasConfiguration.load(json: saved.configuration, source: atlas.atlasRecord.path)
    } else {
      c = AtlasConfiguration.preset(.default)
    }
    if let config { c = try AtlasConfiguration.load(file: URL(fileURLWithPath: config), over: c) }
    return c
  }

  var resourcesURL: URL? { resources.map { URL(fileURLWithPath: $0) } }

  /// A preset's size in words, read from the preset itself (so the help cannot drift from it).
  static func describe(_ preset: AtlasConfiguration.Preset) -> String {
    let c = AtlasConfiguration.preset(preset)
    return "\(Format.count(c.corpus.tokens)) tokens, \(Format.count(c.sae.training.latents)) latents"
  }
}

extension FeatureAtlasCommand {
  struct Build: ParsableCommand, ResolvesConfiguration {
    static let configuration = CommandConfiguration(
      abstract: "Build an atlas end to end: capture → train → features → layout → steering → render.",
      discussion: """
        Stages whose parameters and inputs are unchanged are reused; --force STAGE redoes that stage and
        every later one. Interrupted at any moment, a rerun resumes without redoing finished work.
        """)

    @OptionGroup var atlasOptions: AtlasOptions
    @OptionGroup var configurationOptions: ConfigurationOptions
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var corpusOptions: CorpusOptions
    @Option(name: .long, help: "Load this SAELens/sparsify SAE folder instead of training one.")
    var sae: String?
    @Option(name: .long, help: "SAE latents (d_sae).")
    var latents: Int?
    @Option(name: .long, help: "Redo this stage and every later one.")
    var force: StageName?
    @Flag(name: .long, help: "Print a machine-readable summary (JSON) on stdout.")
    var json = false
    @Option(name: .long, help: "Title shown on the site.")
    var title: String?
    @Option(name: .long, help: "Run only these stages (repeatable); the others must be up to date on disk.")
    var only: [StageName] = []

    func resolvedConfiguration() throws -> AtlasConfiguration {
      var c = try configurationOptions.configuration(atlas: atlasOptions.directory, reuseSaved: false)
      if let model = modelOptions.model { c.model = model }
      corpusOptions.apply(to: &c.corpus)
      if let sae { c.sae.load = sae }
      if let latents { c.sae.training.latents = latents }
      if let title { c.title = title }
      return c
    }

    func run() throws {
      let atlas = atlasOptions.directory
      let c = try resolvedConfiguration()
      let progress = TerminalProgress()
      let summary = try AtlasBuild(configuration: c, atlas: atlas, progress: progress, force: force,
                                   stages: only.isEmpty ? StageName.allCases : only,
                                   resources: configurationOptions.resourcesURL).run()
      Summary.print(summary, json: json, progress: progress)
    }
  }

  struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a commented default configuration (atlas.yaml).")

    @Argument(help: "Where to write it.")
    var path = "atlas.yaml"
    @Flag(name: .long, help: "Overwrite an existing file.")
    var overwrite = false

    func run() throws {
      let url = URL(fileURLWithPath: path)
      if FileManager.default.fileExists(atPath: url.path) && !overwrite {
        throw ValidationError("\(path) exists; pass --overwrite to replace it")
      }
      try AtomicFile.write(ConfigurationTemplate.text(), to: url)
      print("wrote \(path); edit it, then run `feature-atlas build --config \(path)`")
    }
  }
}

/// The end-of-build summary: metrics, per-stage timings, where the site is.
enum Summary {
  static func print(_ summary: BuildSummary, json: Bool, progress: any ProgressSink) {
    if json {
      if let data = try? CanonicalJSON.encode(summary) { FileHandle.standardOutput.write(data) }
      return
    }
    var lines = ["", "done in \(Format.seconds(summary.seconds))"]
    for stage in summary.stages {
      lines.append(String(format: "  %-10@ %8.1f s%@", stage.name.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0) as NSString, stage.seconds,
                          (stage.skipped ? " (reused)" : "") as NSString))
    }
    let m = summary.metrics
    func metric(_ key: String, _ label: String, _ format: String) {
      if let v = m[key] { lines.append("  " + label + " " + String(format: format, v)) }
    }
    metric("tokens", "tokens captured      ", "%.0f")
    metric("fvu", "SAE FVU (held out)   ", "%.3f")
    metric("l0", "SAE L0               ", "%.1f")
    if let dead = m["deadFraction"] { lines.append(String(format: "  dead latents          %.2f%%", dead * 100)) }
    metric("ceLossRecovered", "CE loss recovered    ", "%.3f")
    metric("trustworthiness@10", "map trustworthiness  ", "%.3f")
    if let index = summary.index { lines.append("  open \(index)") }
    for line in lines { progress.log(line) }
  }
}

import ArgumentParser
import AtlasPipeline

/// The `feature-atlas` command: subcommands map flags to stage configurations and call the pipeline.
public struct FeatureAtlasCommand: AsyncParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "feature-atlas",
    abstract: "Build an offline atlas of a language model's sparse-autoencoder features.",
    discussion: """
      One command builds everything: `feature-atlas build` captures activations of the embedded model
      (SmolLM2-135M-Instruct) over the embedded corpus, trains a sparse autoencoder, analyses and maps its
      features, runs steering experiments and writes a static site to <atlas>/site/index.html.
      The other commands run one stage or use the engine directly.
      """,
    subcommands: [Build.self, Init.self, Capture.self, Train.self, Analyze.self, Layout.self, Steer.self, Render.self,
                  Brief.self,
                  Inspect.self, Forward.self, Generate.self, Probe.self, Diff.self])

  public init() {}
}

/// A command whose flags resolve to the configuration it runs with: a preset, or the atlas's saved configuration,
/// then `--config`, then its own flags. Public so that tests can parse flags with `FeatureAtlasCommand.parseAsRoot`
/// and check the values without running a stage.
public protocol ResolvesConfiguration {
  func resolvedConfiguration() throws -> AtlasConfiguration
}

/// `--model PATH`, shared by every command that loads the model.
struct ModelOptions: ParsableArguments {
  @Option(name: .long, help: "A GGUF model file, or a .whl that contains one (default: the embedded SmolLM2-135M-Instruct from `make setup`).")
  var model: String?

  func load(maxPositions: Int? = nil) throws -> LoadedModel {
    try LoadedModel.load(try DefaultPaths.model(model), maxPositions: maxPositions)
  }
}

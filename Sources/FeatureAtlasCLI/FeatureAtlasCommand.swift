import ArgumentParser

/// The `feature-atlas` command: subcommands map flags to stage configurations and call the pipeline.
public struct FeatureAtlasCommand: AsyncParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "feature-atlas",
    abstract: "Build an offline atlas of a language model's sparse-autoencoder features.",
    subcommands: [])

  public init() {}
}

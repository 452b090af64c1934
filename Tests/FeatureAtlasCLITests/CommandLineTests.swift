import ArgumentParser
import AtlasArtifacts
import AtlasPipeline
import FeatureAtlasCLI
import Foundation
import SparseAutoencoders
import Testing

/// Flags → configuration values, what the parser refuses and what `--help` says, without running a stage.
@Suite("command line")
struct CommandLineTests {
  /// The configuration `feature-atlas <arguments>` would run with.
  func configuration(_ arguments: [String]) throws -> AtlasConfiguration {
    let command = try FeatureAtlasCommand.parseAsRoot(arguments)
    let resolving = try #require(command as? any ResolvesConfiguration, "\(arguments.first ?? "") does not resolve a configuration")
    return try resolving.resolvedConfiguration()
  }

  /// The message the command prints for arguments it refuses (nil when they parse).
  func refusal(_ arguments: [String]) -> String? {
    do {
      _ = try FeatureAtlasCommand.parseAsRoot(arguments)
      return nil
    } catch {
      return FeatureAtlasCommand.fullMessage(for: error)
    }
  }

  /// `feature-atlas <subcommand> --help`.
  func help(_ subcommand: String) throws -> String {
    guard let type = FeatureAtlasCommand.configuration.subcommands.first(where: { $0._commandName == subcommand }) else {
      Issue.record("no subcommand \(subcommand)")
      return ""
    }
    return FeatureAtlasCommand.helpMessage(for: type, columns: 200)
  }

  /// An atlas directory whose atlas.json records `configuration`.
  func atlas(saving configuration: JSONValue) throws -> URL {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("cli-tests-\(UUID().uuidString)")
    let record = AtlasRecord(
      toolVersion: "test", createdAt: "2026-12-05T00:00:00Z", title: "t",
      model: ModelRecord(file: "m.gguf", sha256: "0", name: "m", architecture: "llama", dModel: 576, layers: 30, vocabularySize: 49_152),
      corpus: nil, hookPoint: "blocks.15.hook_resid_post", configuration: configuration, stages: [])
    try record.write(to: AtlasDirectory(root).atlasRecord)
    return root
  }

  // MARK: - flags into configurations

  @Test("build: a preset, then corpus, SAE and title flags, in that order of precedence")
  func build() throws {
    let c = try configuration([
      "build", "--preset", "quick", "--latents", "512", "--tokens", "9000", "--window", "64", "--corpus-seed", "7",
      "--corpus", "texts/a.txt:2.5", "--corpus", "default", "--title", "Mine", "--model", "other.gguf",
    ])
    let quick = AtlasConfiguration.preset(.quick)
    #expect(c.sae.training.latents == 512)
    #expect(c.sae.training.batchSize == quick.sae.training.batchSize)  // from the preset, not the default
    #expect(c.sae.training.tokens == quick.sae.training.tokens)
    #expect(c.corpus.tokens == 9000)
    #expect(c.corpus.windowLength == 64)
    #expect(c.corpus.seed == 7)
    #expect(c.corpus.sources == [CorpusSourceSpecification(path: "texts/a.txt", textKey: "text", weight: 2.5), .embedded])
    #expect(c.title == "Mine")
    #expect(c.model == "other.gguf")
  }

  @Test("build without --preset starts from the default preset; --config's YAML lies over it and flags over both")
  func buildConfigFile() throws {
    #expect(try configuration(["build"]) == AtlasConfiguration.preset(.default))
    let yaml = FileManager.default.temporaryDirectory.appendingPathComponent("cli-tests-\(UUID().uuidString).yaml")
    defer { try? FileManager.default.removeItem(at: yaml) }
    try AtomicFile.write("sae:\n  training:\n    latents: 2048\n    batchSize: 512\nsteering:\n  mode: add\n", to: yaml)
    let c = try configuration(["build", "--config", yaml.path, "--latents", "4096"])
    #expect(c.sae.training.latents == 4096)
    #expect(c.sae.training.batchSize == 512)
    #expect(c.steering.mode == .add)
    #expect(c.corpus == AtlasConfiguration.preset(.default).corpus)
  }

  @Test("init writes a configuration that loads back as the default preset, and refuses to overwrite without --overwrite")
  func initCommand() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("atlas.yaml").path
    var command = try FeatureAtlasCommand.parseAsRoot(["init", path])
    try command.run()
    let loaded = try AtlasConfiguration.load(file: URL(fileURLWithPath: path), over: AtlasConfiguration())
    #expect(loaded == AtlasConfiguration.preset(.default))

    try AtomicFile.write("title: edited\n", to: URL(fileURLWithPath: path))
    var again = try FeatureAtlasCommand.parseAsRoot(["init", path])
    #expect(throws: (any Error).self) { try again.run() }
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "title: edited\n")
    var forced = try FeatureAtlasCommand.parseAsRoot(["init", path, "--overwrite"])
    try forced.run()
    #expect(try AtlasConfiguration.load(file: URL(fileURLWithPath: path), over: AtlasConfiguration())
              == AtlasConfiguration.preset(.default))
  }

  @Test("train reuses the atlas's saved configuration; --architecture keeps the configured k, --k and --l1 set it")
  func train() throws {
    let saved = try JSONValue(encoding: AtlasConfiguration.preset(.quick))
    let root = try atlas(saving: saved)
    defer { try? FileManager.default.removeItem(at: root) }
    let base = ["train", "--atlas", root.path]

    let reused = try configuration(base)
    #expect(reused == AtlasConfiguration.preset(.quick))
    #expect(try configuration(base + ["--architecture", "batchtopk"]).sae.training.architecture == .batchTopK(k: SAETrainingArchitecture.defaultK))
    #expect(try configuration(base + ["--k", "16"]).sae.training.architecture == .topK(k: 16))
    #expect(try configuration(base + ["--architecture", "relu"]).sae.training.architecture
      == .relu(l1Coefficient: SAETrainingArchitecture.defaultL1Coefficient))
    #expect(try configuration(base + ["--architecture", "relu", "--l1", "3"]).sae.training.architecture == .relu(l1Coefficient: 3))
    let c = try configuration(base + ["--latents", "256", "--training-tokens", "4096", "--batch-size", "64", "--learning-rate", "0.001", "--seed", "3"])
    #expect(c.sae.training.latents == 256)
    #expect(c.sae.training.tokens == 4096)
    #expect(c.sae.training.batchSize == 64)
    #expect(c.sae.training.learningRate == 0.001)
    #expect(c.sae.training.seed == 3)
    #expect(try configuration(base + ["--preset", "default"]).sae.training.latents == 4096)  // a preset replaces the saved one
    #expect(refusal(base + ["--k", "0"])?.contains("--k must be positive") == true)
  }

  @Test("steer: mode, positions, strengths, prompts and features as typed values")
  func steer() throws {
    let root = try atlas(saving: try JSONValue(encoding: AtlasConfiguration.preset(.quick)))
    defer { try? FileManager.default.removeItem(at: root) }
    let c = try configuration([
      "steer", "--atlas", root.path, "--mode", "add", "--positions", "generated", "--strength", "2", "--strength", "6",
      "--feature", "7", "--feature", "11", "--prompt", "Once upon a time", "--automatic", "3",
    ])
    #expect(c.steering.mode == .add)
    #expect(c.steering.positions == .generated)
    #expect(c.steering.strengths == [2, 6])
    #expect(c.steering.features == [7, 11])
    #expect(c.steering.prompts == ["Once upon a time"])
    #expect(c.steering.automatic == 3)
    let untouched = try configuration(["steer", "--atlas", root.path])
    #expect(untouched.steering == AtlasConfiguration.preset(.quick).steering)
  }

  @Test("probe, layout and analyze change their sections of the saved configuration")
  func probeLayoutAnalyze() throws {
    let root = try atlas(saving: try JSONValue(encoding: AtlasConfiguration.preset(.quick)))
    defer { try? FileManager.default.removeItem(at: root) }
    let probe = try configuration(["probe", "--atlas", root.path, "--topic", "love", "--top", "7", "--after", "3", "--seed", "9"])
    #expect(probe.probe.top == 7)
    #expect(probe.probe.after == 3)
    #expect(probe.probe.seed == 9)
    #expect(probe.sae == AtlasConfiguration.preset(.quick).sae)
    let layout = try configuration(["layout", "--atlas", root.path, "--neighbours", "9", "--min-distance", "0.25", "--seed", "4"])
    #expect(layout.layout.map.neighbours == 9)
    #expect(layout.layout.map.minDistance == 0.25)
    #expect(layout.layout.map.seed == 4)
    #expect(try configuration(["analyze", "--atlas", root.path, "--top-examples", "5"]).features.topExamples == 5)
  }

  @Test("capture: hook points are parsed, stored by their TransformerLens names")
  func capture() throws {
    let c = try configuration(["capture", "--hook", "blocks.3.hook_mlp_out", "--hook", "blocks.15.hook_resid_post", "--f32",
                               "--batch-windows", "4", "--tokens", "1000"])
    #expect(c.capture.hookPoints == ["blocks.3.hook_mlp_out", "blocks.15.hook_resid_post"])
    #expect(c.capture.dtype == .f32)
    #expect(c.capture.windowsPerBatch == 4)
    #expect(c.corpus.tokens == 1000)
    let refused = try #require(refusal(["capture", "--hook", "blocks.3.mlp"]))
    #expect(refused.contains("'blocks.3.mlp' is not a hook point"))
    #expect(refused.contains("hook_resid_pre"))
  }

  // MARK: - refused input

  @Test("An unknown flag is an error naming it, with the usage")
  func unknownFlag() throws {
    let message = try #require(refusal(["build", "--latnets", "512"]))
    #expect(message.contains("--latnets"))
    #expect(message.contains("Usage: feature-atlas build"))
    #expect(refusal(["steer", "--strenght", "2"])?.contains("--strenght") == true)
  }

  @Test("A bad enum value is an error listing the allowed values", arguments: [
    (["build", "--preset", "huge"], ["default", "quick"]),
    (["build", "--only", "paint"], StageName.allCases.map(\.rawValue)),
    (["build", "--force", "everything"], StageName.allCases.map(\.rawValue)),
    (["train", "--architecture", "gated"], ["topk", "batchtopk", "relu"]),
    (["steer", "--mode", "push"], ["add", "clamp"]),
    (["steer", "--positions", "some"], ["all", "generated"]),
    (["brief", "--page", "a5"], ["a4", "letter"]),
  ])
  func badEnumValue(arguments: [String], allowed: [String]) throws {
    let message = try #require(refusal(arguments), "\(arguments) parsed")
    #expect(message.contains("'\(arguments[2])'"), "\(message)")
    // ArgumentParser quotes up to five values in one sentence and lists six or more one per line.
    for value in allowed {
      #expect(message.contains("'\(value)'") || message.contains("  - \(value)\n") || message.hasSuffix("  - \(value)"),
              "\(arguments): \(message)")
    }
  }

  // MARK: - a saved configuration that no longer decodes

  @Test("A saved configuration that does not decode is an error naming the key, never the default preset")
  func brokenSavedConfiguration() throws {
    guard case .object(var c) = try JSONValue(encoding: AtlasConfiguration.preset(.quick)),
          case .object(var sae)? = c["sae"], case .object(var training)? = sae["training"] else {
      Issue.record("the configuration does not encode as nested objects")
      return
    }
    training["latents"] = .string("many")
    sae["training"] = .object(training)
    c["sae"] = .object(sae)
    let root = try atlas(saving: .object(c))
    defer { try? FileManager.default.removeItem(at: root) }
    for command in ["train", "steer", "probe", "layout"] {
      var arguments = [command, "--atlas", root.path]
      if command == "probe" { arguments += ["--topic", "love"] }
      do {
        let resolved = try configuration(arguments)
        Issue.record("\(command) resolved \(resolved.sae.training.latents) latents from a broken atlas.json")
      } catch {
        #expect("\(error)".contains("sae.training.latents"), "\(command): \(error)")
        #expect("\(error)".contains("atlas.json"), "\(command): \(error)")
      }
    }
    // The briefing read the same atlas.json with `try?` and briefed with the default preset's section.
    do {
      _ = try BriefStage.configuration(for: BriefStage.Options(atlas: AtlasDirectory(root)))
      Issue.record("the briefing fell back to the default configuration")
    } catch {
      #expect("\(error)".contains("sae.training.latents"), "\(error)")
    }

    let unknown = try atlas(saving: .object(["sae": .object(["trainng": .object([:])])]))
    defer { try? FileManager.default.removeItem(at: unknown) }
    #expect(throws: (any Error).self) { try configuration(["train", "--atlas", unknown.path]) }
    do {
      _ = try configuration(["train", "--atlas", unknown.path])
    } catch {
      #expect("\(error)".contains("sae.trainng"), "\(error)")
    }
  }

  @Test("An atlas without atlas.json briefs with the default briefing section")
  func briefWithoutRecord() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("cli-tests-\(UUID().uuidString)")
    let c = try BriefStage.configuration(for: BriefStage.Options(atlas: AtlasDirectory(root)))
    #expect(c == AtlasConfiguration.preset(.default).briefing)
  }

  // MARK: - help

  @Test("Each subcommand's --help names its key options and their allowed values", arguments: [
    ("build", ["--preset", "--config", "--atlas", "--latents", "--only", "--force", "--corpus", "default", "quick", "capture", "render"]),
    ("init", ["--overwrite", "atlas.yaml"]),
    ("capture", ["--hook", "--tokens", "--corpus", "--f32", "hook_resid_post"]),
    ("train", ["--architecture", "--k", "--l1", "--latents", "topk", "batchtopk", "relu"]),
    ("analyze", ["--top-examples", "--force"]),
    ("layout", ["--neighbours", "--min-distance"]),
    ("steer", ["--mode", "--positions", "--strength", "--feature", "add", "clamp", "generated"]),
    ("render", ["--atlas", "--resources"]),
    ("probe", ["--topic", "--examples", "--configured", "--top"]),
    ("brief", ["--topic", "--page", "--no-pdf", "a4", "letter"]),
    ("forward", ["--text-file", "--hook", "--out"]),
    ("generate", ["--prompt", "--max-tokens", "--temperature"]),
  ])
  func helpText(subcommand: String, mentions: [String]) throws {
    let text = try help(subcommand)
    #expect(text.contains("feature-atlas \(subcommand)"), "\(text)")
    for word in mentions { #expect(text.contains(word), "\(subcommand) --help lacks \(word):\n\(text)") }
  }
}

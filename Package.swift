// swift-tools-version:6.0
// feature-atlas: an offline atlas of a language model's sparse-autoencoder features.
// Layers (arrows point down; see README "Architecture"):
//   feature-atlas -> FeatureAtlasCLI -> AtlasPipeline -> Llama -> GGUF, Tokenization, TensorMath -> COpenBLAS
//                                                     -> SparseAutoencoders, MapLayout, FeatureAnalysis -> TensorMath
//                                                     -> AtlasSite -> AtlasArtifacts
import PackageDescription

/// Numeric kernels: hand-written SIMD loops need a CPU target (without it `SIMD8<Float>` FMAs become per-lane
/// libm calls), and indexed `[Float]` loops need `-Ounchecked`. Only the modules whose hot loops are
/// kernels get `-Ounchecked`; everything that parses input (GGUF headers, safetensors, tokenizer, corpus,
/// configuration, artifacts) keeps Swift's bounds checks and preconditions.
/// The project targets Linux x86_64 (AVX2 + FMA at least).
let kernels: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"])]
/// Every other module (given below the package): the CPU target, checks on. The target is one choice for the
/// whole program, because TensorMath's kernels are `@inlinable`: each module that calls one compiles its own
/// copy, the copies share a symbol name, and the linker keeps one of them for every caller. A module built
/// without the target (a pipeline helper calling `Kernels.dot`) made a copy with per-lane `fmaf` calls that the
/// forward pass then ran: capture was 6 % slower. `KernelBuildTests` checks the built binary for such calls.
let cpuTarget: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]

let package = Package(
  name: "feature-atlas",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "feature-atlas", targets: ["feature-atlas"]),
    .executable(name: "atlas-bench", targets: ["AtlasBench"]),
    .library(name: "AtlasPipeline", targets: ["AtlasPipeline"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
  ],
  targets: [
    // MARK: - C libraries
    .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),

    // MARK: - Math and model
    .target(name: "TensorMath", dependencies: ["COpenBLAS"], swiftSettings: kernels),
    .target(name: "GGUF", dependencies: [.product(name: "ZIPFoundation", package: "ZIPFoundation")]),
    .target(name: "Tokenization"),
    .target(
      name: "Corpus",
      dependencies: ["Tokenization", "TensorMath", "AtlasArtifacts", "Lexicon", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
    .target(name: "Llama", dependencies: ["TensorMath", "GGUF", "Tokenization"], swiftSettings: kernels),
    .target(name: "SparseAutoencoders", dependencies: ["TensorMath", "AtlasArtifacts"], swiftSettings: kernels),
    .target(name: "MapLayout", dependencies: ["TensorMath"], swiftSettings: kernels),
    .target(name: "Lexicon"),
    .target(name: "FeatureAnalysis", dependencies: ["TensorMath", "AtlasArtifacts", "Lexicon"], swiftSettings: kernels),

    // MARK: - Artifacts, site, pipeline, command line
    .target(name: "AtlasArtifacts"),
    .target(name: "AtlasSite", dependencies: ["AtlasArtifacts", .product(name: "Mustache", package: "swift-mustache")]),
    /// Synthetic atlases (artifacts written from seeded generators, no model): for tests and atlas-bench only.
    .target(name: "AtlasFixtures", dependencies: ["AtlasArtifacts", "TensorMath"]),
    .target(name: "AtlasBriefing", dependencies: ["AtlasArtifacts", "AtlasSite", .product(name: "Mustache", package: "swift-mustache")]),
    .target(name: "AtlasDiff", dependencies: ["AtlasArtifacts", "TensorMath", "MapLayout"], swiftSettings: kernels),
    .target(
      name: "AtlasPipeline",
      dependencies: [
        "AtlasArtifacts", "AtlasSite", "Corpus", "Llama", "SparseAutoencoders", "MapLayout", "FeatureAnalysis", "Lexicon",
        "AtlasBriefing",
        .product(name: "Yams", package: "Yams"),
        "AtlasDiff",
      ]),
    .target(
      name: "FeatureAtlasCLI",
      dependencies: ["AtlasPipeline", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    .executableTarget(name: "feature-atlas", dependencies: ["FeatureAtlasCLI"]),
    .executableTarget(
      name: "AtlasBench",
      dependencies: ["AtlasPipeline", "Llama", "GGUF", "SparseAutoencoders", "MapLayout", "FeatureAnalysis", "AtlasArtifacts", "AtlasSite",
                     "AtlasFixtures",
                     .product(name: "ArgumentParser", package: "swift-argument-parser")]),

    // MARK: - Tests
    .target(name: "TestSupport", dependencies: ["AtlasArtifacts", "GGUF", "Tokenization", "TensorMath"], path: "Tests/TestSupport"),
    .testTarget(name: "TensorMathTests", dependencies: ["TensorMath", "TestSupport"]),
    .testTarget(
      name: "GGUFTests", dependencies: ["GGUF", "TestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
      resources: [.copy("Fixtures")]),
    .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "GGUF", "Llama", "TensorMath", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "CorpusTests", dependencies: ["Corpus", "Llama", "GGUF", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "LlamaTests", dependencies: ["Llama", "AtlasArtifacts", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "SparseAutoencodersTests", dependencies: ["SparseAutoencoders", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "MapLayoutTests", dependencies: ["MapLayout", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "FeatureAnalysisTests", dependencies: ["FeatureAnalysis", "Lexicon", "GGUF", "TestSupport"]),
    .testTarget(name: "LexiconTests", dependencies: ["Lexicon", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "AtlasArtifactsTests", dependencies: ["AtlasArtifacts", "TestSupport"]),
    .testTarget(name: "AtlasSiteTests", dependencies: ["AtlasSite", "AtlasFixtures", "TensorMath", "CLibXML2", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "AtlasBriefingTests", dependencies: ["AtlasBriefing", "AtlasPipeline", "AtlasSite", "AtlasFixtures", "CLibXML2", "TestSupport"], exclude: ["briefing_check.py"]),
    .testTarget(name: "AtlasDiffTests", dependencies: ["AtlasDiff", "AtlasArtifacts", "TensorMath", "TestSupport"]),
    .testTarget(name: "AtlasPipelineTests", dependencies: ["AtlasPipeline", "AtlasSite", "AtlasFixtures", "CLibXML2", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(
      name: "FeatureAtlasCLITests",
      dependencies: ["FeatureAtlasCLI", "AtlasPipeline", "AtlasArtifacts", "SparseAutoencoders",
                     .product(name: "ArgumentParser", package: "swift-argument-parser")]),
  ],
  swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system && target.swiftSettings == nil {
  target.swiftSettings = cpuTarget
}

// MARK: - Fuzz targets (libFuzzer entries in Tests/Fuzz): declared only when scripts/fuzz.sh (`make fuzz`) sets
// FEATURE_ATLAS_FUZZ, so `swift build` and `swift test` never see them.
if Context.environment["FEATURE_ATLAS_FUZZ"] != nil {
  let entry: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]
  package.targets += [
    .target(name: "FuzzSupport", path: "Tests/Fuzz/FuzzSupport"),
    .executableTarget(name: "FuzzGGUF", dependencies: ["FuzzSupport", "GGUF", "Llama"], path: "Tests/Fuzz/FuzzGGUF", swiftSettings: entry),
    .executableTarget(name: "FuzzSafeTensors", dependencies: ["FuzzSupport", "AtlasArtifacts"], path: "Tests/Fuzz/FuzzSafeTensors", swiftSettings: entry),
    .executableTarget(name: "FuzzSAE", dependencies: ["FuzzSupport", "SparseAutoencoders"], path: "Tests/Fuzz/FuzzSAE", swiftSettings: entry),
    .executableTarget(name: "FuzzConfiguration", dependencies: ["FuzzSupport", "AtlasPipeline"], path: "Tests/Fuzz/FuzzConfiguration", swiftSettings: entry),
    .executableTarget(name: "FuzzCorpus", dependencies: ["FuzzSupport", "Corpus"], path: "Tests/Fuzz/FuzzCorpus", swiftSettings: entry),
  ]
}

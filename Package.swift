// swift-tools-version:6.0
// feature-atlas: an offline atlas of a language model's sparse-autoencoder features.
// Layers (arrows point down; see README "Architecture"):
//   feature-atlas -> FeatureAtlasCLI -> AtlasPipeline -> Llama -> GGUF, Tokenization, TensorMath -> COpenBLAS
//                                                     -> SparseAutoencoders, MapLayout, FeatureAnalysis -> TensorMath
//                                                     -> AtlasSite -> AtlasArtifacts
import PackageDescription

/// Hand-written SIMD loops need a CPU target, or `SIMD8<Float>` FMAs become per-lane libm calls.
/// The project targets Linux x86_64 (AVX2 + FMA at least).
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"])]

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
    .target(name: "TensorMath", dependencies: ["COpenBLAS"], swiftSettings: fast),
    .target(name: "GGUF", dependencies: [.product(name: "ZIPFoundation", package: "ZIPFoundation")], swiftSettings: fast),
    .target(name: "Tokenization", swiftSettings: fast),
    .target(
      name: "Corpus",
      dependencies: ["Tokenization", "TensorMath", "AtlasArtifacts", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
      swiftSettings: fast),
    .target(name: "Llama", dependencies: ["TensorMath", "GGUF", "Tokenization"], swiftSettings: fast),
    .target(name: "SparseAutoencoders", dependencies: ["TensorMath", "AtlasArtifacts"], swiftSettings: fast),
    .target(name: "MapLayout", dependencies: ["TensorMath"], swiftSettings: fast),
    .target(name: "Lexicon", swiftSettings: fast),
    .target(name: "FeatureAnalysis", dependencies: ["TensorMath", "AtlasArtifacts", "Lexicon"], swiftSettings: fast),

    // MARK: - Artifacts, site, pipeline, command line
    .target(name: "AtlasArtifacts", swiftSettings: fast),
    .target(name: "AtlasSite", dependencies: ["AtlasArtifacts", .product(name: "Mustache", package: "swift-mustache")]),
    .target(
      name: "AtlasPipeline",
      dependencies: [
        "AtlasArtifacts", "AtlasSite", "Corpus", "Llama", "SparseAutoencoders", "MapLayout", "FeatureAnalysis", "Lexicon",
        .product(name: "Yams", package: "Yams"),
      ], swiftSettings: fast),
    .target(
      name: "FeatureAtlasCLI",
      dependencies: ["AtlasPipeline", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    .executableTarget(name: "feature-atlas", dependencies: ["FeatureAtlasCLI"]),
    .executableTarget(
      name: "AtlasBench",
      dependencies: ["AtlasPipeline", "Llama", "GGUF", "SparseAutoencoders", "MapLayout", "FeatureAnalysis", "AtlasArtifacts", "AtlasSite"],
      swiftSettings: fast),

    // MARK: - Tests
    .target(name: "TestSupport", dependencies: ["AtlasArtifacts", "GGUF"], path: "Tests/TestSupport"),
    .testTarget(name: "TensorMathTests", dependencies: ["TensorMath", "TestSupport"]),
    .testTarget(
      name: "GGUFTests", dependencies: ["GGUF", "TestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
      resources: [.copy("Fixtures")]),
    .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "GGUF", "Llama", "TensorMath", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "CorpusTests", dependencies: ["Corpus", "Llama", "GGUF", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "LlamaTests", dependencies: ["Llama", "AtlasArtifacts", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "SparseAutoencodersTests", dependencies: ["SparseAutoencoders", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "MapLayoutTests", dependencies: ["MapLayout", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "FeatureAnalysisTests", dependencies: ["FeatureAnalysis", "Lexicon", "TestSupport"]),
    .testTarget(name: "LexiconTests", dependencies: ["Lexicon", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "AtlasArtifactsTests", dependencies: ["AtlasArtifacts", "TestSupport"]),
    .testTarget(name: "AtlasSiteTests", dependencies: ["AtlasSite", "CLibXML2", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "AtlasPipelineTests", dependencies: ["AtlasPipeline", "AtlasSite", "CLibXML2", "TestSupport"], resources: [.copy("Fixtures")]),
  ],
  swiftLanguageModes: [.v6]
)

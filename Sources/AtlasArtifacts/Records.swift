import Foundation

/// The records an atlas directory holds (see README "Artifacts"). Each manifest carries the digests of
/// its inputs and its parameters, so `build` can skip a stage whose inputs did not change.

// MARK: - atlas.json

public struct ModelRecord: Codable, Sendable, Equatable {
  public var file: String            // as given by the user
  public var sha256: String
  public var name: String
  public var architecture: String
  public var dModel: Int
  public var layers: Int
  public var vocabularySize: Int
  public init(file: String, sha256: String, name: String, architecture: String, dModel: Int, layers: Int, vocabularySize: Int) {
    self.file = file; self.sha256 = sha256; self.name = name; self.architecture = architecture
    self.dModel = dModel; self.layers = layers; self.vocabularySize = vocabularySize
  }

  /// The name a reader knows the model by: its file name without the extension and the quantisation suffix
  /// ("SmolLM2-135M-Instruct.Q4_1.gguf" → "SmolLM2-135M-Instruct"), rather than the GGUF's stored
  /// `general.name`, which is often a training-run name ("Smollm2 135M 8k Lc100K Mix1 Ep2"). The stored
  /// name when the file name gives nothing.
  public var displayName: String {
    var base = (file as NSString).lastPathComponent
    for ext in [".gguf", ".safetensors", ".bin"] where base.lowercased().hasSuffix(ext) { base = String(base.dropLast(ext.count)) }
    if let dot = base.lastIndex(of: "."), let first = base[base.index(after: dot)...].first, "QqFfBbIi".contains(first) {
      base = String(base[..<dot])
    }
    return base.isEmpty ? name : base
  }
}

public struct CorpusSourceRecord: Codable, Sendable, Equatable {
  public var name: String            // e.g. "shakespeare", "fortunes", or a user path
  public var kind: String            // "default", "directory", "jsonl", "file"
  public var weight: Double
  public var documents: Int
  public var tokens: Int             // tokens of this source that went into windows
  public var replacedInvalidUTF8: Int
  public var skippedFiles: Int
  public var about: String?          // the source in plain words, e.g. "Unix fortune-cookie quotations"
  public init(name: String, kind: String, weight: Double, documents: Int, tokens: Int, replacedInvalidUTF8: Int = 0, skippedFiles: Int = 0,
              about: String? = nil) {
    self.name = name; self.kind = kind; self.weight = weight; self.documents = documents; self.tokens = tokens
    self.replacedInvalidUTF8 = replacedInvalidUTF8; self.skippedFiles = skippedFiles; self.about = about
  }
}

public struct CorpusRecord: Codable, Sendable, Equatable {
  public var sources: [CorpusSourceRecord]
  public var digest: String          // sha256 over the sampled documents in order
  public var documents: Int
  public var tokens: Int
  public init(sources: [CorpusSourceRecord], digest: String, documents: Int, tokens: Int) {
    self.sources = sources; self.digest = digest; self.documents = documents; self.tokens = tokens
  }
}

public struct StageRecord: Codable, Sendable, Equatable {
  public var name: StageName
  public var seconds: Double
  public var skipped: Bool           // inputs and parameters unchanged: reused
  public var fingerprint: String     // digest of the stage's parameters and inputs
  /// Throughput and per-step timings of this run (e.g. "tokensPerSecond", "neighbours").
  public var details: [String: Double]
  public init(name: StageName, seconds: Double, skipped: Bool, fingerprint: String, details: [String: Double] = [:]) {
    self.name = name; self.seconds = seconds; self.skipped = skipped; self.fingerprint = fingerprint; self.details = details
  }
}

/// `atlas.json`: what this atlas is. The only file with a timestamp or timings; every other artifact
/// depends only on the inputs and the seed, so two runs give byte-identical files.
public struct AtlasRecord: Artifact, Equatable {
  public static let kind = ArtifactKind.atlas
  public static let formatVersion = 1
  public var kind = AtlasRecord.kind
  public var formatVersion = AtlasRecord.formatVersion
  public var toolVersion: String
  public var createdAt: String       // ISO 8601
  public var title: String
  public var model: ModelRecord
  public var corpus: CorpusRecord?
  public var hookPoint: String       // "blocks.15.hook_resid_post"
  public var configuration: JSONValue
  public var stages: [StageRecord]
  public init(toolVersion: String, createdAt: String, title: String, model: ModelRecord, corpus: CorpusRecord?,
              hookPoint: String, configuration: JSONValue, stages: [StageRecord]) {
    self.toolVersion = toolVersion; self.createdAt = createdAt; self.title = title; self.model = model
    self.corpus = corpus; self.hookPoint = hookPoint; self.configuration = configuration; self.stages = stages
  }
}

// MARK: - sae/training.json

/// SAE quality as the field reports it (FVU with the corrected formula, L0, dead/dense, CE recovered).
public struct SAEQuality: Codable, Sendable, Equatable {
  public var fvu: Double                  // Σ‖x−x̂‖² / Σ‖x−mean‖² on held-out activations
  public var mse: Double
  public var l0: Double                   // mean active latents per token
  public var deadFraction: Double         // never fired over the last `deadWindowTokens`
  public var denseFraction: Double        // density > 10%
  public var ceLossRecovered: Double?     // (CE_zero − CE_spliced) / (CE_zero − CE_clean)
  public var ceClean: Double?
  public var ceSpliced: Double?
  public var ceZeroAblation: Double?
  public var klDivergence: Double?        // mean KL(clean ‖ spliced) per token
  public var heldOutTokens: Int
  public init(fvu: Double, mse: Double, l0: Double, deadFraction: Double, denseFraction: Double, ceLossRecovered: Double? = nil,
              ceClean: Double? = nil, ceSpliced: Double? = nil, ceZeroAblation: Double? = nil, klDivergence: Double? = nil,
              heldOutTokens: Int) {
    self.fvu = fvu; self.mse = mse; self.l0 = l0; self.deadFraction = deadFraction; self.denseFraction = denseFraction
    self.ceLossRecovered = ceLossRecovered; self.ceClean = ceClean; self.ceSpliced = ceSpliced
    self.ceZeroAblation = ceZeroAblation; self.klDivergence = klDivergence; self.heldOutTokens = heldOutTokens
  }
}

public struct TrainingCurvePoint: Codable, Sendable, Equatable {
  public var step: Int
  public var tokens: Int
  public var loss: Double
  public var mse: Double
  public var l0: Double
  public var deadFraction: Double
  public init(step: Int, tokens: Int, loss: Double, mse: Double, l0: Double, deadFraction: Double) {
    self.step = step; self.tokens = tokens; self.loss = loss; self.mse = mse; self.l0 = l0; self.deadFraction = deadFraction
  }
}

/// Where an atlas's SAE came from. `SAETrainingRecord.origin` stores its `description` ("trained" or
/// "loaded from <path>"), the on-disk form readers already show.
public enum SAEOrigin: Equatable, Sendable, CustomStringConvertible {
  case trained
  case loaded(path: String)

  static let loadedPrefix = "loaded from "

  public var description: String {
    switch self {
    case .trained: "trained"
    case .loaded(let path): Self.loadedPrefix + path
    }
  }

  /// The origin a record stored; nil for a string no version of the pipeline writes.
  public init?(recorded: String) {
    if recorded == "trained" {
      self = .trained
    } else if recorded.hasPrefix(Self.loadedPrefix) {
      self = .loaded(path: String(recorded.dropFirst(Self.loadedPrefix.count)))
    } else {
      return nil
    }
  }
}

/// Stored as its description, the string earlier versions wrote; another string does not decode.
extension SAEOrigin: Codable {
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let text = try container.decode(String.self)
    guard let origin = SAEOrigin(recorded: text) else {
      throw DecodingError.dataCorruptedError(
        in: container, debugDescription: "origin \"\(text)\" is neither \"trained\" nor \"\(Self.loadedPrefix)<path>\"")
    }
    self = origin
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}

public struct SAETrainingRecord: Artifact, Equatable {
  public static let kind = ArtifactKind.sae
  public static let formatVersion = 1
  public var kind = SAETrainingRecord.kind
  public var formatVersion = SAETrainingRecord.formatVersion
  public var origin: SAEOrigin            // stored as "trained" or "loaded from <path>"
  public var architecture: String         // SAELens name: "topk", "standard" (ReLU), "jumprelu" (BatchTopK, loaded), "gated"
  public var dIn: Int
  public var dSAE: Int
  public var k: Int?
  public var trainingTokens: Int
  public var parameters: JSONValue
  public var inputDigest: String          // activations digest
  public var weightsDigest: String        // sha256 of sae_weights.safetensors
  public var quality: SAEQuality
  public var curve: [TrainingCurvePoint]
  public init(origin: SAEOrigin, architecture: String, dIn: Int, dSAE: Int, k: Int?, trainingTokens: Int, parameters: JSONValue,
              inputDigest: String, weightsDigest: String, quality: SAEQuality, curve: [TrainingCurvePoint]) {
    self.origin = origin; self.architecture = architecture; self.dIn = dIn; self.dSAE = dSAE; self.k = k
    self.trainingTokens = trainingTokens
    self.parameters = parameters; self.inputDigest = inputDigest; self.weightsDigest = weightsDigest
    self.quality = quality; self.curve = curve
  }
}

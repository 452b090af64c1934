import Foundation

/// What `feature-atlas inspect MODEL` reports about a GGUF file: architecture, dimensions, tensor types and
/// parameter counts, tokenizer and chat template, every metadata key and (grouped by block) every tensor.
///
/// Built from metadata alone (no tensor is dequantized). Keys the file lacks, or holds with an unexpected
/// type, are `nil`, so any GGUF can be inspected, not only the Llama models the rest of the tool runs.
public struct GGUFInspection: Sendable, Equatable {
  public struct Dimensions: Sendable, Equatable {
    public var blocks: Int?          // {arch}.block_count
    public var dModel: Int?          // {arch}.embedding_length
    public var ffnDim: Int?          // {arch}.feed_forward_length
    public var heads: Int?           // {arch}.attention.head_count
    public var kvHeads: Int?         // {arch}.attention.head_count_kv
    public var headDim: Int?         // {arch}.attention.key_length, else dModel / heads
    public var ropeBase: Double?     // {arch}.rope.freq_base
    public var rmsEpsilon: Double?   // {arch}.attention.layer_norm_rms_epsilon
    public var contextLength: Int?   // {arch}.context_length
    public var vocabSize: Int?       // {arch}.vocab_size, else the number of tokens
  }

  /// Tensors of one ggml type.
  public struct TypeSummary: Sendable, Equatable {
    public var type: GGMLType
    public var tensors: Int
    public var parameters: Int
    public var bytes: Int
  }

  public struct Token: Sendable, Equatable {
    public var id: Int
    public var text: String
  }

  public struct MetadataEntry: Sendable, Equatable {
    public var key: String
    public var summary: String  // one line, long strings and arrays abbreviated
  }

  /// Tensors `blk.N.rest` of the same rest, type and dimensions over several blocks, or one other tensor.
  public struct TensorGroup: Sendable, Equatable {
    public var pattern: String  // "blk.{0..29}.attn_q.weight" or "token_embd.weight"
    public var type: GGMLType
    public var dimensions: [Int]  // innermost first, as GGUF stores them
    public var count: Int
  }

  public struct Tokenizer: Sendable, Equatable {
    public var model: String?         // tokenizer.ggml.model ("gpt2" = byte-level BPE)
    public var preTokenizer: String?  // tokenizer.ggml.pre
    public var vocabularySize: Int    // entries of tokenizer.ggml.tokens
    public var mergeCount: Int        // entries of tokenizer.ggml.merges
    public var bos: Token?
    public var eos: Token?
    public var unknown: Token?
    public var padding: Token?
    /// Tokens of type 3 (control) in tokenizer.ggml.token_type, in id order.
    public var controlTokens: [Token]
    /// Number of tokens per token type (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).
    public var tokenTypeCounts: [Int: Int]
    public var addBOS: Bool?
    public var addSpacePrefix: Bool?
  }

  public var source: String
  public var version: UInt32
  public var fileSize: Int
  public var alignment: Int
  public var architecture: String?
  public var name: String?
  public var fileType: Int?  // general.file_type (llama_ftype)
  public var dimensions: Dimensions
  public var tensorCount: Int
  /// By number of parameters, largest first.
  public var types: [TypeSummary]
  public var parameterCount: Int
  public var tokenizer: Tokenizer
  public var chatTemplate: String?
  /// Every metadata key in file order.
  public var metadata: [MetadataEntry]
  /// Every tensor, grouped over blocks, in file order of first appearance.
  public var tensorGroups: [TensorGroup]

  public var hasChatTemplate: Bool { chatTemplate != nil }

  /// The first `count` lines of the chat template, each cut to `width` characters.
  public func chatTemplateHead(lines count: Int = 3, width: Int = 100) -> [String] {
    guard let template = chatTemplate else { return [] }
    return template.split(separator: "\n", omittingEmptySubsequences: false).prefix(count).map {
      $0.count > width ? String($0.prefix(width - 3)) + "..." : String($0)
    }
  }

  // MARK: - Building

  public init(_ file: GGUFFile) {
    func integer(_ key: String) -> Int? { try? file.integer(key) }
    func double(_ key: String) -> Double? { try? file.double(key) }
    func bool(_ key: String) -> Bool? { try? file.bool(key) }
    func string(_ key: String) -> String? { try? file.string(key) }

    source = file.source
    version = file.version
    fileSize = file.byteCount
    alignment = file.alignment
    architecture = string(GGUFKey.General.architecture)
    name = string(GGUFKey.General.name)
    fileType = integer(GGUFKey.General.fileType)

    let tokens = (try? file.stringArray(GGUFKey.Tokenizer.tokens)) ?? []
    var dims = Dimensions()
    if let arch = architecture {
      dims.blocks = integer(GGUFKey.LLM.blockCount(arch))
      dims.dModel = integer(GGUFKey.LLM.embeddingLength(arch))
      dims.ffnDim = integer(GGUFKey.LLM.feedForwardLength(arch))
      dims.heads = integer(GGUFKey.LLM.headCount(arch))
      dims.kvHeads = integer(GGUFKey.LLM.headCountKV(arch))
      dims.headDim = integer(GGUFKey.LLM.keyLength(arch))
      if dims.headDim == nil, let d = dims.dModel, let h = dims.heads, h > 0, d % h == 0 { dims.headDim = d / h }
      dims.ropeBase = double(GGUFKey.LLM.ropeFrequencyBase(arch))
      dims.rmsEpsilon = double(GGUFKey.LLM.rmsEpsilon(arch))
      dims.contextLength = integer(GGUFKey.LLM.contextLength(arch))
      dims.vocabSize = integer(GGUFKey.LLM.vocabSize(arch))
    }
    if dims.vocabSize == nil, !tokens.isEmpty { dims.vocabSize = tokens.count }
    dimensions = dims

    tensorCount = file.tensors.count
    var byType: [GGMLType: TypeSummary] = [:]
    for t in file.tensors {
      byType[t.type, default: TypeSummary(type: t.type, tensors: 0, parameters: 0, bytes: 0)].tensors += 1
      byType[t.type]?.parameters += t.elementCount
      byType[t.type]?.bytes += t.byteCount
    }
    types = byType.values.sorted { ($0.parameters, $1.type.rawValue) > ($1.parameters, $0.type.rawValue) }
    parameterCount = file.tensors.reduce(0) { $0 + $1.elementCount }

    func token(_ key: String) -> Token? {
      guard let id = integer(key) else { return nil }
      return Token(id: id, text: tokens.indices.contains(id) ? tokens[id] : "?")
    }
    let tokenTypes = (try? file.integerArray(GGUFKey.Tokenizer.tokenTypes)) ?? []
    tokenizer = Tokenizer(
      model: string(GGUFKey.Tokenizer.model),
      preTokenizer: string(GGUFKey.Tokenizer.preTokenizer),
      vocabularySize: tokens.count,
      mergeCount: file.metadata[GGUFKey.Tokenizer.merges]?.array?.count ?? 0,
      bos: token(GGUFKey.Tokenizer.bos),
      eos: token(GGUFKey.Tokenizer.eos),
      unknown: token(GGUFKey.Tokenizer.unknown),
      padding: token(GGUFKey.Tokenizer.padding),
      controlTokens: tokenTypes.indices.filter { tokenTypes[$0] == 3 }.map {
        Token(id: $0, text: tokens.indices.contains($0) ? tokens[$0] : "?")
      },
      tokenTypeCounts: tokenTypes.reduce(into: [:]) { $0[$1, default: 0] += 1 },
      addBOS: bool(GGUFKey.Tokenizer.addBOS),
      addSpacePrefix: bool(GGUFKey.Tokenizer.addSpacePrefix))
    chatTemplate = string(GGUFKey.Tokenizer.chatTemplate)
    metadata = file.metadataKeys.map { MetadataEntry(key: $0, summary: file.metadata[$0]?.summary ?? "?") }
    tensorGroups = GGUFInspection.group(file.tensors)
  }

  /// Groups `blk.N.rest` tensors with the same rest, type and dimensions; other tensors stand alone.
  static func group(_ tensors: [GGUFTensorInfo]) -> [TensorGroup] {
    struct Key: Hashable { var rest: String; var type: GGMLType; var dimensions: [Int] }
    var groups: [TensorGroup] = []
    var blocks: [Key: (slot: Int, ids: [Int])] = [:]
    for t in tensors {
      let parts = t.name.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
      guard parts.count == 3, parts[0] == "blk", let block = Int(parts[1]) else {
        groups.append(TensorGroup(pattern: t.name, type: t.type, dimensions: t.dimensions, count: 1))
        continue
      }
      let key = Key(rest: String(parts[2]), type: t.type, dimensions: t.dimensions)
      if blocks[key] == nil {
        blocks[key] = (groups.count, [])
        groups.append(TensorGroup(pattern: "", type: t.type, dimensions: t.dimensions, count: 0))
      }
      blocks[key]?.ids.append(block)
    }
    for (key, entry) in blocks {
      groups[entry.slot].pattern = "blk.\(blockRange(entry.ids)).\(key.rest)"
      groups[entry.slot].count = entry.ids.count
    }
    return groups
  }

  /// "{0..29}" for a contiguous run, "{0,2,5}" otherwise, "7" for one block.
  static func blockRange(_ ids: [Int]) -> String {
    let sorted = ids.sorted()
    guard let first = sorted.first, let last = sorted.last else { return "{}" }
    if sorted.count == 1 { return "\(first)" }
    if last - first + 1 == sorted.count, Set(sorted).count == sorted.count { return "{\(first)..\(last)}" }
    return "{" + sorted.map(String.init).joined(separator: ",") + "}"
  }
}

import Foundation

/// One tensor's entry in the GGUF tensor directory.
public struct GGUFTensorInfo: Sendable, Equatable {
  public let name: String
  /// Dimensions as GGUF stores them, innermost first (ne0 = row length). `[576, 192]` is a row-major
  /// matrix with 192 rows of 576 values.
  public let dimensions: [Int]
  public let type: GGMLType
  /// Offset of the tensor's bytes from the start of the data section.
  public let offset: Int

  public var elementCount: Int { dimensions.reduce(1, *) }
  public var byteCount: Int {
    let (qk, size) = type.blockGeometry
    return elementCount / qk * size
  }
  /// Outer-first shape, as numpy and PyTorch write it (`[192, 576]` for the example above).
  public var shape: [Int] { dimensions.reversed() }
}

/// A parsed GGUF file (versions 2 and 3): metadata, tensor directory, and on-demand dequantization.
///
/// The bytes stay memory-mapped (a `.gguf`) or in memory (a `.gguf` inflated from a wheel); nothing is
/// converted until a tensor is asked for. Format: ggml's `docs/gguf.md`; parsing lives in `GGUFParser`.
public struct GGUFFile: Sendable {
  public let version: UInt32
  /// Metadata keys in file order.
  public let metadataKeys: [String]
  public let metadata: [String: GGUFValue]
  /// Tensors in file order.
  public let tensors: [GGUFTensorInfo]
  public let alignment: Int
  /// Absolute offset of the data section (tensor offsets are relative to it).
  public let dataStart: Int
  /// Where the bytes came from (a path, `archive.whl!member.gguf`, or "<memory>").
  public let source: String
  private let bytes: Data
  private let index: [String: Int]

  /// Opens a `.gguf` file (memory-mapped) or a `.whl`/`.zip` archive holding exactly one `.gguf` member
  /// (inflated into memory: about 1 s for the 98 MB SmolLM2 model).
  public init(url: URL) throws {
    if try GGUFArchive.isZip(url) {
      let (data, member) = try GGUFArchive.extractModel(from: url)
      try self.init(bytes: data, source: "\(url.path)!\(member)")
    } else {
      let data: Data
      do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
        throw GGUFError.unreadable(path: url.path, reason: error.localizedDescription)
      }
      try self.init(bytes: data, source: url.path)
    }
  }

  /// Parses GGUF bytes already in memory.
  public init(bytes: Data, source: String = "<memory>") throws {
    let directory = try bytes.withUnsafeBytes { try GGUFParser.parse($0) }
    self.bytes = bytes
    self.source = source
    self.version = directory.version
    self.metadataKeys = directory.metadataKeys
    self.metadata = directory.metadata
    self.tensors = directory.tensors
    self.alignment = directory.alignment
    self.dataStart = directory.dataStart
    self.index = Dictionary(directory.tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
  }

  /// Size of the GGUF bytes (for a wheel: of the inflated member).
  public var byteCount: Int { bytes.count }

  // MARK: - Metadata access

  public func value(_ key: String) throws -> GGUFValue {
    guard let v = metadata[key] else { throw GGUFError.missingKey(key) }
    return v
  }

  public func string(_ key: String) throws -> String { try typed(key, "string") { $0.string } }
  public func integer(_ key: String) throws -> Int { try typed(key, "integer") { $0.integer } }
  public func double(_ key: String) throws -> Double { try typed(key, "number") { $0.double } }
  public func bool(_ key: String) throws -> Bool {
    try typed(key, "bool") { if case .bool(let b) = $0 { b } else { nil } }
  }
  public func stringArray(_ key: String) throws -> [String] { try typedArray(key, "strings") { $0.string } }
  public func integerArray(_ key: String) throws -> [Int] { try typedArray(key, "integers") { $0.integer } }

  /// The value at `key` read by `extract`; a value of another type is an error naming both types.
  private func typed<T>(_ key: String, _ expected: String, _ extract: (GGUFValue) -> T?) throws -> T {
    let v = try value(key)
    guard let t = extract(v) else { throw GGUFError.wrongValueType(key: key, expected: expected, found: v.typeName) }
    return t
  }

  /// An array value whose every item `extract` reads ("array of <items>").
  private func typedArray<T>(_ key: String, _ items: String, _ extract: (GGUFValue) -> T?) throws -> [T] {
    let expected = "array of \(items)"
    let array = try typed(key, expected) { $0.array }
    return try array.map {
      guard let t = extract($0) else { throw GGUFError.wrongValueType(key: key, expected: expected, found: "array of \($0.typeName)") }
      return t
    }
  }

  // MARK: - Tensors

  public func tensor(named name: String) throws -> GGUFTensorInfo {
    guard let i = index[name] else { throw GGUFError.missingTensor(name) }
    return tensors[i]
  }

  public func hasTensor(_ name: String) -> Bool { index[name] != nil }

  /// `info` as this file's directory has it: an info taken from another file cannot address these bytes.
  private func own(_ info: GGUFTensorInfo) throws -> GGUFTensorInfo {
    guard let i = index[info.name] else { throw GGUFError.missingTensor(info.name) }
    guard tensors[i] == info else {
      throw GGUFError.badTensor(tensor: info.name, reason: "the tensor info passed in comes from a different file")
    }
    return info
  }

  /// Calls `body` with the tensor's raw (quantized) bytes, `info.byteCount` of them.
  public func withRawBytes<R>(_ info: GGUFTensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    let info = try own(info)
    return try bytes.withUnsafeBytes { raw in
      let start = dataStart + info.offset  // the parser checked start + byteCount <= raw.count
      return try body(UnsafeRawBufferPointer(rebasing: raw[start ..< start + info.byteCount]))
    }
  }

  /// The tensor as Float32, in storage order (row-major with rows of `dimensions[0]` values).
  /// Tensors of 4 M weights or more (the 28 M-weight embedding) are split over the cores.
  public func dequantize(_ info: GGUFTensorInfo) throws -> [Float] {
    try dequantize(info, parts: info.elementCount >= GGUFFile.parallelThreshold ? GGUFFile.cores : 1)
  }

  /// `dequantize` in `parts` contiguous ranges of blocks, run concurrently; each part writes its own range.
  package func dequantize(_ info: GGUFTensorInfo, parts requested: Int) throws -> [Float] {
    guard info.type.isDequantizable else {
      throw GGUFError.unsupportedTensorType(tensor: info.name, type: info.type.description)
    }
    let n = info.elementCount
    let (qk, size) = info.type.blockGeometry
    let blocks = n / qk
    let values: [Float] = try withRawBytes(info) { raw in
      guard let src = raw.baseAddress else { return [] }
      return [Float](unsafeUninitializedCapacity: n) { out, count in
        if let dst = out.baseAddress {
          let parts = max(1, min(requested, blocks))
          let pointers = SendablePointers(src: src, dst: dst)
          DispatchQueue.concurrentPerform(iterations: parts) { part in
            let range = blocks * part / parts ..< blocks * (part + 1) / parts
            Dequantize.blocks(
              info.type, pointers.src + range.lowerBound * size, range.count, into: pointers.dst + range.lowerBound * qk)
          }
        }
        count = n
      }
    }
    return values
  }

  /// Weights above which `dequantize` uses every core.
  static let parallelThreshold = 1 << 22
  static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

  /// Selected rows (along the outermost dimension, rows of `dimensions[0]` values) as Float32,
  /// `[rows.count, dimensions[0]]`, without dequantizing the rest: embedding lookups.
  public func dequantizeRows(_ info: GGUFTensorInfo, rows: [Int]) throws -> [Float] {
    guard info.type.isDequantizable else {
      throw GGUFError.unsupportedTensorType(tensor: info.name, type: info.type.description)
    }
    let rowLength = info.dimensions[0]
    let rowCount = info.elementCount / rowLength
    let (qk, size) = info.type.blockGeometry
    let rowBytes = rowLength / qk * size
    for r in rows where r < 0 || r >= rowCount {
      throw GGUFError.rowOutOfRange(tensor: info.name, row: r, rows: rowCount)
    }
    return try withRawBytes(info) { raw in
      var out = [Float](repeating: 0, count: rows.count * rowLength)
      guard let src = raw.baseAddress else { return out }
      out.withUnsafeMutableBufferPointer { dst in
        guard let base = dst.baseAddress else { return }
        for (i, r) in rows.enumerated() {
          Dequantize.blocks(info.type, src + r * rowBytes, rowLength / qk, into: base + i * rowLength)
        }
      }
      return out
    }
  }
}

/// Source and destination of one dequantization, shared by the parts that write disjoint ranges.
private struct SendablePointers: @unchecked Sendable {
  let src: UnsafeRawPointer
  let dst: UnsafeMutablePointer<Float>
}

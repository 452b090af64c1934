import Foundation
import ZIPFoundation

/// One tensor's entry in the GGUF tensor directory.
public struct GGUFTensorInfo: Sendable, Equatable {
  public var name: String
  /// Dimensions as GGUF stores them, innermost first (ne0 = row length). `[576, 192]` is a row-major
  /// matrix with 192 rows of 576 values.
  public var dimensions: [Int]
  public var type: GGMLType
  /// Offset of the tensor's bytes from the start of the data section.
  public var offset: Int

  public var elementCount: Int { dimensions.reduce(1, *) }
  public var byteCount: Int {
    let (qk, size) = type.blockGeometry
    return elementCount / qk * size
  }
  /// Outer-first shape, as numpy and PyTorch write it (`[192, 576]` for the example above).
  public var shape: [Int] { dimensions.reversed() }
}

/// A parsed GGUF file (versions 2 and 3), memory-mapped: metadata, tensor directory, and on-demand
/// dequantization. Port of the format as specified in ggml's `docs/gguf.md`.
public struct GGUFFile: @unchecked Sendable {
  public let version: UInt32
  /// Metadata in file order.
  public let metadataKeys: [String]
  public let metadata: [String: GGUFValue]
  /// Tensors in file order.
  public let tensors: [GGUFTensorInfo]
  public let alignment: Int
  public let dataStart: Int
  /// Where the bytes came from (a path, or "<memory>").
  public let source: String
  private let bytes: Data
  private let index: [String: Int]

  /// Opens a `.gguf` file (memory-mapped) or a `.whl`/`.zip` archive holding exactly one `.gguf` member.
  public init(url: URL) throws {
    let head: Data
    do {
      let handle = try FileHandle(forReadingFrom: url)
      head = try handle.read(upToCount: 4) ?? Data()
      try handle.close()
    } catch {
      throw GGUFError.unreadable(path: url.path, reason: "\(error.localizedDescription)")
    }
    if Array(head) == [0x50, 0x4B, 0x03, 0x04] {
      try self.init(bytes: try GGUFFile.extractFromArchive(url), source: url.path)
    } else {
      let data: Data
      do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
        throw GGUFError.unreadable(path: url.path, reason: error.localizedDescription)
      }
      try self.init(bytes: data, source: url.path)
    }
  }

  public init(bytes: Data, source: String = "<memory>") throws {
    self.bytes = bytes
    self.source = source
    var parsed: (UInt32, [String], [String: GGUFValue], [GGUFTensorInfo], Int, Int)?
    try bytes.withUnsafeBytes { raw in
      parsed = try GGUFFile.parse(raw)
    }
    guard let (version, keys, metadata, tensors, alignment, dataStart) = parsed else {
      throw GGUFError.truncated(offset: 0, needed: 24, available: bytes.count)
    }
    self.version = version
    self.metadataKeys = keys
    self.metadata = metadata
    self.tensors = tensors
    self.alignment = alignment
    self.dataStart = dataStart
    var index: [String: Int] = [:]
    for (i, t) in tensors.enumerated() { index[t.name] = i }
    self.index = index
  }

  // MARK: - Parsing

  private static func parse(_ raw: UnsafeRawBufferPointer) throws
    -> (UInt32, [String], [String: GGUFValue], [GGUFTensorInfo], Int, Int)
  {
    var reader = ByteReader(raw)
    guard raw.count >= 4, Array(raw[0 ..< 4]) == [0x47, 0x47, 0x55, 0x46] else {
      throw GGUFError.notGGUF(firstBytes: Array(raw.prefix(4)))
    }
    _ = try reader.read(UInt32.self)
    let version = try reader.read(UInt32.self)
    guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(version) }
    let tensorCount = try reader.read(UInt64.self)
    let kvCount = try reader.read(UInt64.self)
    // Each KV needs at least 8 (key length) + 4 (type) + 1 bytes; each tensor at least 8 + 4 + 8 + 4 + 8.
    try reader.ensure(count: kvCount, minimumSize: 13, what: "metadata")
    try reader.ensure(count: tensorCount, minimumSize: 32, what: "tensors")

    var keys: [String] = []
    var metadata: [String: GGUFValue] = [:]
    for _ in 0 ..< kvCount {
      let key = try reader.readString()
      let code = try reader.read(UInt32.self)
      guard let type = GGUFValue.TypeCode(rawValue: code) else { throw GGUFError.unknownValueType(key: key, code: code) }
      let value = try readValue(type, key: key, &reader)
      keys.append(key)
      metadata[key] = value
    }

    var alignment = 32
    if let value = metadata[GGUFKey.General.alignment] {
      guard let a = value.integer, a > 0, a & (a - 1) == 0 else {
        throw GGUFError.implausible(what: "general.alignment", value: UInt64(clamping: value.integer ?? 0))
      }
      alignment = a
    }

    var tensors: [GGUFTensorInfo] = []
    for _ in 0 ..< tensorCount {
      let name = try reader.readString()
      let nDims = try reader.read(UInt32.self)
      guard nDims >= 1, nDims <= 4 else { throw GGUFError.badTensor(tensor: name, reason: "\(nDims) dimensions, expected 1 to 4") }
      var dims: [Int] = []
      var elements = 1
      for _ in 0 ..< nDims {
        let d = try reader.read(UInt64.self)
        guard d > 0, d < 1 << 40, let di = Int(exactly: d) else {
          throw GGUFError.badTensor(tensor: name, reason: "dimension \(d) is implausible")
        }
        let (product, overflow) = elements.multipliedReportingOverflow(by: di)
        guard !overflow, product < 1 << 42 else { throw GGUFError.badTensor(tensor: name, reason: "too many elements") }
        elements = product
        dims.append(di)
      }
      let code = try reader.read(UInt32.self)
      guard let type = GGMLType(rawValue: code) else { throw GGUFError.unknownTensorType(tensor: name, code: code) }
      let offset = try reader.read(UInt64.self)
      guard let off = Int(exactly: offset), off % alignment == 0 else {
        throw GGUFError.badTensor(tensor: name, reason: "offset \(offset) is not a multiple of the alignment \(alignment)")
      }
      guard dims[0] % type.blockGeometry.weights == 0 else {
        throw GGUFError.badTensor(tensor: name, reason: "row length \(dims[0]) is not a multiple of the \(type) block size \(type.blockGeometry.weights)")
      }
      tensors.append(GGUFTensorInfo(name: name, dimensions: dims, type: type, offset: off))
    }

    let dataStart = (reader.offset + alignment - 1) / alignment * alignment
    for t in tensors {
      let end = dataStart + t.offset + t.byteCount
      guard end <= raw.count else {
        throw GGUFError.truncated(offset: raw.count, needed: end - raw.count, available: 0)
      }
    }
    return (version, keys, metadata, tensors, alignment, dataStart)
  }

  private static func readValue(_ type: GGUFValue.TypeCode, key: String, _ reader: inout ByteReader) throws -> GGUFValue {
    switch type {
    case .uint8: return .uint8(try reader.read())
    case .int8: return .int8(try reader.read())
    case .uint16: return .uint16(try reader.read())
    case .int16: return .int16(try reader.read())
    case .uint32: return .uint32(try reader.read())
    case .int32: return .int32(try reader.read())
    case .float32: return .float32(try reader.readFloat())
    case .bool: return .bool(try reader.read(UInt8.self) != 0)
    case .string: return .string(try reader.readString())
    case .uint64: return .uint64(try reader.read())
    case .int64: return .int64(try reader.read())
    case .float64: return .float64(try reader.readDouble())
    case .array:
      let code = try reader.read(UInt32.self)
      guard let elementType = GGUFValue.TypeCode(rawValue: code) else { throw GGUFError.unknownValueType(key: key, code: code) }
      let count = try reader.read(UInt64.self)
      try reader.ensure(count: count, minimumSize: elementType == .array ? 12 : (elementType == .string ? 8 : 1), what: key)
      var items: [GGUFValue] = []
      items.reserveCapacity(Int(count))
      for _ in 0 ..< count { items.append(try readValue(elementType, key: key, &reader)) }
      return .array(items)
    }
  }

  private static func extractFromArchive(_ url: URL) throws -> Data {
    let archive: Archive
    do { archive = try Archive(url: url, accessMode: .read) } catch {
      throw GGUFError.unreadable(path: url.path, reason: "not a readable zip archive (\(error))")
    }
    let members = archive.map(\.path)
    guard let entry = archive.first(where: { $0.path.hasSuffix(".gguf") }) else {
      throw GGUFError.noModelInArchive(path: url.path, members: members)
    }
    var data = Data()
    data.reserveCapacity(Int(entry.uncompressedSize))
    do {
      _ = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: false) { chunk in data.append(chunk) }
    } catch {
      throw GGUFError.unreadable(path: url.path, reason: "extracting \(entry.path) failed (\(error))")
    }
    return data
  }

  // MARK: - Metadata access

  public func value(_ key: String) throws -> GGUFValue {
    guard let v = metadata[key] else { throw GGUFError.missingKey(key) }
    return v
  }

  public func string(_ key: String) throws -> String {
    let v = try value(key)
    guard let s = v.string else { throw GGUFError.wrongValueType(key: key, expected: "string", found: v.typeName) }
    return s
  }

  public func integer(_ key: String) throws -> Int {
    let v = try value(key)
    guard let i = v.integer else { throw GGUFError.wrongValueType(key: key, expected: "integer", found: v.typeName) }
    return i
  }

  public func double(_ key: String) throws -> Double {
    let v = try value(key)
    guard let d = v.double else { throw GGUFError.wrongValueType(key: key, expected: "number", found: v.typeName) }
    return d
  }

  public func stringArray(_ key: String) throws -> [String] {
    let v = try value(key)
    guard let items = v.array else { throw GGUFError.wrongValueType(key: key, expected: "array of strings", found: v.typeName) }
    return try items.map {
      guard let s = $0.string else { throw GGUFError.wrongValueType(key: key, expected: "array of strings", found: "array of \($0.typeName)") }
      return s
    }
  }

  public func integerArray(_ key: String) throws -> [Int] {
    let v = try value(key)
    guard let items = v.array else { throw GGUFError.wrongValueType(key: key, expected: "array of integers", found: v.typeName) }
    return try items.map {
      guard let i = $0.integer else { throw GGUFError.wrongValueType(key: key, expected: "array of integers", found: "array of \($0.typeName)") }
      return i
    }
  }

  // MARK: - Tensors

  public func tensor(named name: String) throws -> GGUFTensorInfo {
    guard let i = index[name] else { throw GGUFError.missingTensor(name) }
    return tensors[i]
  }

  public func hasTensor(_ name: String) -> Bool { index[name] != nil }

  /// Calls `body` with the tensor's raw (quantized) bytes.
  public func withRawBytes<R>(_ info: GGUFTensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try bytes.withUnsafeBytes { raw in
      let start = dataStart + info.offset
      return try body(UnsafeRawBufferPointer(rebasing: raw[start ..< start + info.byteCount]))
    }
  }

  /// The tensor as Float32, in storage order (row-major with rows of `dimensions[0]` values).
  public func dequantize(_ info: GGUFTensorInfo) throws -> [Float] {
    guard info.type.isDequantizable else {
      throw GGUFError.unsupportedTensorType(tensor: info.name, type: info.type.description)
    }
    let (qk, _) = info.type.blockGeometry
    let n = info.elementCount
    return withRawBytes(info) { raw in
      [Float](unsafeUninitializedCapacity: n) { out, count in
        Dequantize.blocks(info.type, raw.baseAddress!, n / qk, into: out.baseAddress!)
        count = n
      }
    }
  }

  /// Selected rows (along the outermost dimension of a 2-D tensor) as Float32, without dequantizing the rest.
  public func dequantizeRows(_ info: GGUFTensorInfo, rows: [Int]) throws -> [Float] {
    guard info.type.isDequantizable else {
      throw GGUFError.unsupportedTensorType(tensor: info.name, type: info.type.description)
    }
    let rowLength = info.dimensions[0]
    let rowCount = info.elementCount / rowLength
    let (qk, size) = info.type.blockGeometry
    let rowBytes = rowLength / qk * size
    return try withRawBytes(info) { raw in
      var out = [Float](repeating: 0, count: rows.count * rowLength)
      try out.withUnsafeMutableBufferPointer { dst in
        for (i, r) in rows.enumerated() {
          guard r >= 0, r < rowCount else {
            throw GGUFError.badTensor(tensor: info.name, reason: "row \(r) requested of \(rowCount)")
          }
          Dequantize.blocks(info.type, raw.baseAddress! + r * rowBytes, rowLength / qk, into: dst.baseAddress! + i * rowLength)
        }
      }
      return out
    }
  }
}

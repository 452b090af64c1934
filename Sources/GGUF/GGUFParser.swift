// Parsing of the GGUF header, metadata and tensor directory (versions 2 and 3), following ggml's
// `docs/gguf.md` and the layout summary in shared/FACTS.md §2.1. Every count and length read from the file
// is checked against the bytes left before anything is allocated, so a corrupt or truncated file throws
// a GGUFError and never traps or allocates more than the file could describe.

/// The parsed directory of a GGUF file: everything except the tensor data itself.
struct GGUFDirectory {
  var version: UInt32
  var metadataKeys: [String]  // file order
  var metadata: [String: GGUFValue]
  var tensors: [GGUFTensorInfo]  // file order
  var alignment: Int
  var dataStart: Int
}

enum GGUFParser {
  static let magic: [UInt8] = [0x47, 0x47, 0x55, 0x46]  // "GGUF"
  static let defaultAlignment = 32
  /// ggml's GGML_MAX_DIMS.
  static let maxDimensions = 4
  /// Arrays of arrays are allowed by the format (gguf-py writes them); deeper nesting than this is corruption.
  static let maxArrayNesting = 16

  static func parse(_ raw: UnsafeRawBufferPointer) throws -> GGUFDirectory {
    guard raw.count >= 4, Array(raw[0 ..< 4]) == magic else {
      throw GGUFError.notGGUF(firstBytes: Array(raw.prefix(4)))
    }
    var reader = ByteReader(raw, offset: 4)
    let version = try reader.read(UInt32.self)
    guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(version) }
    let tensorCount = try reader.read(UInt64.self)
    let kvCount = try reader.read(UInt64.self)
    // Each KV needs at least 8 (key length) + 4 (type) + 1 bytes; each tensor 8 + 4 + 8 + 4 + 8.
    try reader.ensure(count: kvCount, elementSize: 13)
    try reader.ensure(count: tensorCount, elementSize: 32)

    var keys: [String] = []
    var metadata: [String: GGUFValue] = [:]
    for _ in 0 ..< kvCount {
      let key = try reader.readString()
      let code = try reader.read(UInt32.self)
      guard let type = GGUFValue.TypeCode(rawValue: code) else { throw GGUFError.unknownValueType(key: key, code: code) }
      let value = try readValue(type, key: key, depth: 0, &reader)
      guard metadata.updateValue(value, forKey: key) == nil else { throw GGUFError.duplicateKey(key) }
      keys.append(key)
    }
    let alignment = try readAlignment(metadata)

    var tensors: [GGUFTensorInfo] = []
    var names: Set<String> = []
    for _ in 0 ..< tensorCount {
      let info = try readTensorInfo(&reader, alignment: alignment)
      guard names.insert(info.name).inserted else {
        throw GGUFError.badTensor(tensor: info.name, reason: "the name appears twice in the tensor directory")
      }
      tensors.append(info)
    }

    let dataStart = (reader.offset + alignment - 1) / alignment * alignment  // offset <= file size, alignment <= 2^30
    for t in tensors {
      // offset and byteCount are both below 2^44 (see readTensorInfo), so these sums cannot overflow.
      let end = dataStart + t.offset + t.byteCount
      guard end <= raw.count else {
        throw GGUFError.truncated(offset: raw.count, needed: end - raw.count, available: 0)
      }
    }
    return GGUFDirectory(
      version: version, metadataKeys: keys, metadata: metadata, tensors: tensors, alignment: alignment,
      dataStart: dataStart)
  }

  // MARK: - Metadata

  /// Bytes one element of `type` occupies at least (exact for fixed-size types).
  static func minimumSize(_ type: GGUFValue.TypeCode) -> Int {
    switch type {
    case .uint8, .int8, .bool: 1
    case .uint16, .int16: 2
    case .uint32, .int32, .float32: 4
    case .uint64, .int64, .float64: 8
    case .string: 8  // the length
    case .array: 12  // element type and count
    }
  }

  static func readValue(_ type: GGUFValue.TypeCode, key: String, depth: Int, _ reader: inout ByteReader) throws -> GGUFValue {
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
      guard depth < maxArrayNesting else {
        throw GGUFError.implausible(what: "the nesting depth of arrays in metadata key '\(key)'", value: UInt64(depth + 1))
      }
      let code = try reader.read(UInt32.self)
      guard let elementType = GGUFValue.TypeCode(rawValue: code) else { throw GGUFError.unknownValueType(key: key, code: code) }
      let count = try reader.read(UInt64.self)
      try reader.ensure(count: count, elementSize: minimumSize(elementType))
      var items: [GGUFValue] = []
      items.reserveCapacity(Int(count))  // count * elementSize <= bytes left, checked above
      for _ in 0 ..< count { items.append(try readValue(elementType, key: key, depth: depth + 1, &reader)) }
      return .array(items)
    }
  }

  /// `general.alignment`: an integer power of two, 32 when absent.
  static func readAlignment(_ metadata: [String: GGUFValue]) throws -> Int {
    guard let value = metadata[GGUFKey.General.alignment] else { return defaultAlignment }
    switch value {
    case .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64: break
    default: throw GGUFError.wrongValueType(key: GGUFKey.General.alignment, expected: "u32", found: value.typeName)
    }
    let a = value.integer ?? Int.max  // only a u64 above Int.max has no Int value
    guard a > 0, a <= 1 << 30, a & (a - 1) == 0 else {
      throw GGUFError.implausible(what: "general.alignment (must be a power of two up to 2^30)", value: UInt64(clamping: a))
    }
    return a
  }

  // MARK: - Tensor directory

  static func readTensorInfo(_ reader: inout ByteReader, alignment: Int) throws -> GGUFTensorInfo {
    let name = try reader.readString()
    let nDims = try reader.read(UInt32.self)
    guard nDims >= 1, nDims <= maxDimensions else {
      throw GGUFError.badTensor(tensor: name, reason: "it has \(nDims) dimensions, expected 1 to \(maxDimensions)")
    }
    var dims: [Int] = []
    var elements = 1
    for _ in 0 ..< nDims {
      let d = try reader.read(UInt64.self)
      guard d > 0, d < 1 << 40 else { throw GGUFError.badTensor(tensor: name, reason: "dimension \(d) is outside 1 ..< 2^40") }
      let (product, overflow) = elements.multipliedReportingOverflow(by: Int(d))
      guard !overflow, product < 1 << 42 else {
        throw GGUFError.badTensor(tensor: name, reason: "\(dims + [Int(d)]) has more than 2^42 elements")
      }
      elements = product
      dims.append(Int(d))
    }
    let code = try reader.read(UInt32.self)
    guard let type = GGMLType(rawValue: code) else { throw GGUFError.unknownTensorType(tensor: name, code: code) }
    let offset = try reader.read(UInt64.self)
    guard offset % UInt64(alignment) == 0 else {
      throw GGUFError.badTensor(tensor: name, reason: "its data offset \(offset) is not a multiple of the alignment \(alignment)")
    }
    guard offset < 1 << 44 else {
      throw GGUFError.truncated(offset: reader.offset - 8, needed: Int(clamping: offset), available: reader.remaining)
    }
    guard dims[0] % type.blockGeometry.weights == 0 else {
      throw GGUFError.badTensor(
        tensor: name, reason: "its row length \(dims[0]) is not a multiple of the \(type) block size \(type.blockGeometry.weights)")
    }
    return GGUFTensorInfo(name: name, dimensions: dims, type: type, offset: Int(offset))
  }
}

import Foundation

// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then the raw
// little-endian tensor bytes. Readable by numpy, PyTorch and SAELens users; we memory-map it.

public enum SafeTensorsDType: String, Sendable, CaseIterable, Codable {
  case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
  case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
  case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8", bool = "BOOL"

  public var byteSize: Int {
    switch self {
    case .f64, .i64, .u64: 8
    case .f32, .i32, .u32: 4
    case .f16, .bf16, .i16, .u16: 2
    case .i8, .u8, .bool: 1
    }
  }
}

public struct SafeTensorInfo: Sendable, Equatable {
  public var dtype: SafeTensorsDType
  public var shape: [Int]
  public var byteRange: Range<Int>  // relative to the start of the data section
  public var elementCount: Int { shape.reduce(1, *) }
}

/// A parsed (memory-mapped) safetensors file.
public struct SafeTensorsFile: @unchecked Sendable {
  public let path: String
  public let metadata: [String: String]
  public let tensors: [String: SafeTensorInfo]
  private let bytes: Data
  private let dataStart: Int

  public var names: [String] { tensors.keys.sorted() }

  public init(url: URL) throws {
    let data: Data
    do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
      throw ArtifactError.missing(path: url.path, hint: "no such safetensors file")
    }
    try self.init(bytes: data, path: url.path)
  }

  public init(bytes: Data, path: String = "<memory>") throws {
    self.path = path
    self.bytes = bytes
    func fail(_ reason: String) -> ArtifactError { .safetensors(path: path, reason: reason) }
    guard bytes.count >= 8 else { throw fail("\(bytes.count) bytes, shorter than the 8-byte header length") }
    let headerLength = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    guard headerLength <= UInt64(bytes.count - 8) else {
      throw fail("header says \(headerLength) bytes of JSON but only \(bytes.count - 8) follow (truncated file?)")
    }
    let start = bytes.startIndex + 8
    let headerData = bytes[start ..< start + Int(headerLength)]
    guard let object = try? JSONSerialization.jsonObject(with: headerData), let header = object as? [String: Any] else {
      throw fail("the header is not a JSON object")
    }
    dataStart = 8 + Int(headerLength)
    let dataCount = bytes.count - dataStart
    var metadata: [String: String] = [:]
    var tensors: [String: SafeTensorInfo] = [:]
    for (name, value) in header {
      if name == "__metadata__" {
        guard let dict = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
        for (k, v) in dict {
          guard let s = v as? String else { throw fail("__metadata__['\(k)'] is not a string") }
          metadata[k] = s
        }
        continue
      }
      guard let entry = value as? [String: Any], let dtypeName = entry["dtype"] as? String,
        let shapeAny = entry["shape"] as? [Any], let offsetsAny = entry["data_offsets"] as? [Any],
        offsetsAny.count == 2
      else { throw fail("tensor '\(name)' lacks dtype, shape or data_offsets") }
      guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
        throw fail("tensor '\(name)' has dtype \(dtypeName); supported: \(SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      let shape = try shapeAny.map { item -> Int in
        guard let n = (item as? NSNumber)?.intValue, n >= 0 else { throw fail("tensor '\(name)' has a bad shape") }
        return n
      }
      let offsets = try offsetsAny.map { item -> Int in
        guard let n = (item as? NSNumber)?.intValue, n >= 0 else { throw fail("tensor '\(name)' has bad offsets") }
        return n
      }
      let (elements, overflow) = shape.reduce((1, false)) { acc, d in
        let (p, o) = acc.0.multipliedReportingOverflow(by: d)
        return (p, acc.1 || o)
      }
      guard !overflow, offsets[0] <= offsets[1], offsets[1] <= dataCount,
        offsets[1] - offsets[0] == elements * dtype.byteSize
      else {
        throw fail("tensor '\(name)' \(dtype.rawValue)\(shape) needs bytes \(offsets[0])..<\(offsets[1]) of \(dataCount) available (truncated file?)")
      }
      tensors[name] = SafeTensorInfo(dtype: dtype, shape: shape, byteRange: offsets[0] ..< offsets[1])
    }
    self.metadata = metadata
    self.tensors = tensors
  }

  public func info(_ name: String) throws -> SafeTensorInfo {
    guard let info = tensors[name] else {
      throw ArtifactError.missingTensor(path: path, name: name, available: Array(tensors.keys))
    }
    return info
  }

  /// The raw little-endian bytes of a tensor.
  public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    let info = try info(name)
    return try bytes.withUnsafeBytes { all in
      try body(UnsafeRawBufferPointer(rebasing: all[(dataStart + info.byteRange.lowerBound) ..< (dataStart + info.byteRange.upperBound)]))
    }
  }

  /// A floating-point tensor as Float32 (converting F16, BF16 and F64).
  public func floats(_ name: String) throws -> [Float] {
    let info = try info(name)
    let n = info.elementCount
    return try withRawBytes(name) { raw in
      switch info.dtype {
      case .f32:
        return [Float](unsafeUninitializedCapacity: n) { out, count in
          _ = memcpy(out.baseAddress!, raw.baseAddress!, n * 4)
          count = n
        }
      case .f16:
        return (0 ..< n).map { Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
      case .bf16:
        return (0 ..< n).map { Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) << 16) }
      case .f64:
        return (0 ..< n).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) }
      default:
        throw ArtifactError.safetensors(path: path, reason: "tensor '\(name)' is \(info.dtype.rawValue), expected a float type")
      }
    }
  }

  /// An integer tensor as Int (I8 ... U64 and BOOL).
  public func integers(_ name: String) throws -> [Int] {
    let info = try info(name)
    let n = info.elementCount
    return try withRawBytes(name) { raw in
      switch info.dtype {
      case .i64: return (0 ..< n).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
      case .u64: return (0 ..< n).map { Int(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) }
      case .i32: return (0 ..< n).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
      case .u32: return (0 ..< n).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
      case .i16: return (0 ..< n).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self)) }
      case .u16: return (0 ..< n).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
      case .i8: return (0 ..< n).map { Int(raw.load(fromByteOffset: $0, as: Int8.self)) }
      case .u8, .bool: return (0 ..< n).map { Int(raw.load(fromByteOffset: $0, as: UInt8.self)) }
      default:
        throw ArtifactError.safetensors(path: path, reason: "tensor '\(name)' is \(info.dtype.rawValue), expected an integer type")
      }
    }
  }
}

/// Builds a safetensors file. Tensors are laid out in name order and the JSON header has sorted
/// keys, so the same tensors always give the same bytes.
public struct SafeTensorsWriter: Sendable {
  private var entries: [String: (dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8])] = [:]
  public var metadata: [String: String] = [:]

  public init(metadata: [String: String] = [:]) { self.metadata = metadata }

  public mutating func add(_ name: String, dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) {
    precondition(shape.reduce(1, *) * dtype.byteSize == bytes.count, "tensor '\(name)': bytes do not match shape")
    entries[name] = (dtype, shape, bytes)
  }

  public mutating func add(_ name: String, floats: [Float], shape: [Int], as dtype: SafeTensorsDType = .f32) {
    precondition(shape.reduce(1, *) == floats.count, "tensor '\(name)': \(floats.count) values for shape \(shape)")
    switch dtype {
    case .f32:
      add(name, dtype: .f32, shape: shape, bytes: floats.withUnsafeBytes { Array($0) })
    case .f16:
      // Values beyond the F16 range (attention-sink rows deep in a model) saturate instead of becoming inf.
      let halves = floats.map { Float16(max(-65_504, min(65_504, $0))).bitPattern.littleEndian }
      add(name, dtype: .f16, shape: shape, bytes: halves.withUnsafeBytes { Array($0) })
    case .bf16:
      // Round to nearest even, like torch's conversion.
      let halves = floats.map { value -> UInt16 in
        let bits = value.bitPattern
        if value.isNaN { return 0x7FC0 }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(rounded >> 16)
      }
      add(name, dtype: .bf16, shape: shape, bytes: halves.withUnsafeBytes { Array($0) })
    default:
      preconditionFailure("floats can be stored as F32, F16 or BF16, not \(dtype.rawValue)")
    }
  }

  public mutating func add(_ name: String, int32s: [Int32], shape: [Int]) {
    add(name, dtype: .i32, shape: shape, bytes: int32s.withUnsafeBytes { Array($0) })
  }

  public mutating func add(_ name: String, int64s: [Int64], shape: [Int]) {
    add(name, dtype: .i64, shape: shape, bytes: int64s.withUnsafeBytes { Array($0) })
  }

  public func encoded() -> Data {
    var header: [String] = []
    var offset = 0
    let names = entries.keys.sorted()
    var order: [(String, Int, Int)] = []
    for name in names {
      let e = entries[name]!
      order.append((name, offset, offset + e.bytes.count))
      offset += e.bytes.count
    }
    var meta: [String] = []
    if !metadata.isEmpty {
      for key in metadata.keys.sorted() {
        meta.append("\(jsonString(key)):\(jsonString(metadata[key]!))")
      }
      header.append("\"__metadata__\":{\(meta.joined(separator: ","))}")
    }
    for (name, begin, end) in order {
      let e = entries[name]!
      header.append("\(jsonString(name)):{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(e.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(end)]}")
    }
    var json = Array("{\(header.joined(separator: ","))}".utf8)
    while json.count % 8 != 0 { json.append(0x20) }
    var data = Data(capacity: 8 + json.count + offset)
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: json)
    for name in names { data.append(contentsOf: entries[name]!.bytes) }
    return data
  }

  public func write(to url: URL) throws {
    try AtomicFile.write(encoded(), to: url)
  }
}

/// A JSON string literal with the escapes JSON requires.
package func jsonString(_ s: String) -> String {
  var out = "\""
  for scalar in s.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    default:
      if scalar.value < 0x20 {
        out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
  }
  return out + "\""
}

import Foundation

/// NumPy `.npy` (format 1.0/2.0) for 1-D and 2-D little-endian float32/float16/int32/int64 arrays: how
/// decoder directions and layouts are exchanged with the Python peers (umap-learn, scikit-learn).
public enum Npy {
  public struct Array2D: Sendable, Equatable {
    public var shape: [Int]       // [n] or [rows, columns]
    public var values: [Float]    // row-major (C order)
  }

  /// Encodes float32 values with the given shape (C order).
  public static func encode(_ values: [Float], shape: [Int]) -> Data {
    precondition(shape.reduce(1, *) == values.count, "npy: \(values.count) values for shape \(shape)")
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.map(String.init).joined(separator: ", ")))"
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: Array(header.utf8))
    values.withUnsafeBytes { data.append(contentsOf: $0) }
    return data
  }

  public static func write(_ values: [Float], shape: [Int], to url: URL) throws {
    try AtomicFile.write(encode(values, shape: shape), to: url)
  }

  public static func read(_ url: URL) throws -> Array2D {
    let data: Data
    do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
      throw ArtifactError.missing(path: url.path, hint: "no such .npy file")
    }
    return try decode(data, path: url.path)
  }

  /// Decodes float32, float16, float64, int32 or int64 arrays (converted to Float), C order only.
  public static func decode(_ data: Data, path: String = "<memory>") throws -> Array2D {
    func fail(_ reason: String) -> ArtifactError { .malformed(path: path, reason: "npy: \(reason)") }
    let bytes = [UInt8](data.prefix(12))
    guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1 ..< 6]) == Array("NUMPY".utf8) else {
      throw fail("missing the \\x93NUMPY magic")
    }
    let major = bytes[6]
    let headerLength: Int
    let headerStart: Int
    if major == 1 {
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
      headerStart = 10
    } else if major == 2 || major == 3, bytes.count >= 12 {
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
      headerStart = 12
    } else {
      throw fail("unsupported format version \(major)")
    }
    guard data.count >= headerStart + headerLength else { throw fail("header truncated") }
    let base = data.startIndex
    let header = String(decoding: data[(base + headerStart) ..< (base + headerStart + headerLength)], as: UTF8.self)
    guard let descr = field("descr", in: header)?.trimmingCharacters(in: CharacterSet(charactersIn: "'\" ")) else {
      throw fail("no 'descr' in header \(header)")
    }
    if header.contains("'fortran_order': True") { throw fail("Fortran order is not supported; save with np.ascontiguousarray") }
    guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
      throw fail("no 'shape' in header")
    }
    let shape = header[open.upperBound ..< close].split(separator: ",")
      .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let count = shape.reduce(1, *)
    let size: Int
    switch descr {
    case "<f4", "<i4": size = 4
    case "<f2": size = 2
    case "<f8", "<i8": size = 8
    default: throw fail("dtype \(descr) is not supported (use float32)")
    }
    let start = base + headerStart + headerLength
    guard data.count - headerStart - headerLength >= count * size else {
      throw fail("expected \(count * size) data bytes, found \(data.count - headerStart - headerLength)")
    }
    let values: [Float] = data[start ..< start + count * size].withUnsafeBytes { raw in
      switch descr {
      case "<f4": return (0 ..< count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
      case "<i4": return (0 ..< count).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
      case "<f2": return (0 ..< count).map { Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
      case "<f8": return (0 ..< count).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) }
      default: return (0 ..< count).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
      }
    }
    return Array2D(shape: shape, values: values)
  }

  private static func field(_ name: String, in header: String) -> String? {
    guard let r = header.range(of: "'\(name)':") else { return nil }
    let rest = header[r.upperBound...]
    guard let end = rest.firstIndex(of: ",") else { return nil }
    return String(rest[..<end])
  }
}

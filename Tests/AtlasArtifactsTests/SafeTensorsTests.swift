import AtlasArtifacts
import Foundation
import Testing

@Suite("safetensors and digests")
struct SafeTensorsTests {
  @Test("Round trip of F32, F16, BF16 and I32 tensors with metadata")
  func roundTrip() throws {
    var writer = SafeTensorsWriter(metadata: ["format": "pt"])
    writer.add("a", floats: [1, -2.5, 3.25, 0], shape: [2, 2])
    writer.add("h", floats: [0.5, 65504, -0.125], shape: [3], as: .f16)
    writer.add("b", floats: [1, 2, -3], shape: [3], as: .bf16)
    writer.add("ids", int32s: [7, -1, 49151], shape: [3])
    let bytes = writer.encoded()
    let file = try SafeTensorsFile(bytes: bytes)
    #expect(file.metadata == ["format": "pt"])
    #expect(try file.floats("a") == [1, -2.5, 3.25, 0])
    #expect(try file.floats("h") == [0.5, 65504, -0.125])
    #expect(try file.floats("b") == [1, 2, -3])
    #expect(try file.integers("ids") == [7, -1, 49151])
    #expect(try file.info("a").shape == [2, 2])
    // The JSON header is padded with spaces so the data starts 8-byte aligned, and re-encoding is byte-identical.
    let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    #expect(headerLength % 8 == 0)
    #expect(bytes[8 + headerLength - 1] == 0x20 || bytes[8 + headerLength - 1] == UInt8(ascii: "}"))
    let dataBytes = 4 * 4 + 3 * 2 + 3 * 2 + 3 * 4
    #expect(bytes.count == 8 + headerLength + dataBytes)
    #expect(writer.encoded() == bytes)
  }

  @Test("A file cut at any byte is rejected with a safetensors error, never a crash")
  func truncation() throws {
    var writer = SafeTensorsWriter()
    writer.add("x", floats: [1, 2, 3, 4, 5], shape: [5])
    writer.add("y", int32s: [1, 2], shape: [2])
    let bytes = writer.encoded()
    for length in 0 ..< bytes.count {
      #expect(throws: ArtifactError.self) { try SafeTensorsFile(bytes: bytes.prefix(length)) }
    }
    #expect(throws: ArtifactError.self) { try SafeTensorsFile(bytes: bytes).floats("missing") }
  }

  @Test("SHA-256 matches the FIPS 180-4 test vectors")
  func sha256() {
    #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
      == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    var streaming = SHA256()
    let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
    for chunk in stride(from: 0, to: million.count, by: 777) {
      streaming.update(million[chunk ..< min(chunk + 777, million.count)])
    }
    #expect(streaming.hexDigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }
}

@Suite("npy")
struct NpyTests {
  @Test("float32 arrays round trip with their shape; the header is 64-byte aligned")
  func roundTrip() throws {
    let data = Npy.encode([1, 2, 3, 4, 5, 6], shape: [2, 3])
    #expect((data.count - 24) % 64 == 0)
    let back = try Npy.decode(data)
    #expect(back.shape == [2, 3])
    #expect(back.values == [1, 2, 3, 4, 5, 6])
    #expect(throws: ArtifactError.self) { try Npy.decode(data.prefix(data.count - 1)) }
  }
}

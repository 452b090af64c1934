import Foundation
import GGUF
import TestSupport
import Testing

/// The fixtures of `Fixtures/make_quant_fixtures.py`: one GGUF per type, and the `gguf` package's
/// dequantization of each of its tensors.
private struct QuantManifest: Decodable {
  let formatVersion: Int
  let generatedBy: String
  let files: [File]
  struct File: Decodable {
    let file: String
    let type: String
    let typeCode: UInt32
    let tensors: [Tensor]
  }
  struct Tensor: Decodable {
    let name: String
    let dimensions: [Int]
    let expected: String
    let count: Int
  }
}

enum Fixtures {
  static func url(_ name: String) throws -> URL {
    let directory = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    return directory.appendingPathComponent(name)
  }

  /// Raw little-endian float32 values, as bit patterns.
  static func float32Bits(_ name: String) throws -> [UInt32] {
    let data = try Data(contentsOf: try url(name))
    return data.withUnsafeBytes { raw in
      (0 ..< data.count / 4).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
    }
  }
}

private func loadManifest() throws -> QuantManifest {
  try JSONDecoder().decode(QuantManifest.self, from: Data(contentsOf: try Fixtures.url("manifest.json")))
}

/// The types the fixture manifest must cover (the brief's list).
private let requiredTypes: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K]

@Suite("Dequantization is bit-exact against the gguf Python package")
struct DequantizationTests {
  @Test("The fixtures cover every dequantizable type")
  func coverage() throws {
    let manifest = try loadManifest()
    #expect(manifest.formatVersion == 1)
    #expect(manifest.generatedBy.contains("gguf 0.19.0"))
    let covered = Set(manifest.files.compactMap { GGMLType(rawValue: $0.typeCode) })
    #expect(covered == Set(requiredTypes))
    #expect(Set(GGMLType.dequantizable) == Set(requiredTypes))
  }

  @Test("dequantize equals gguf.quants.dequantize bit for bit", arguments: requiredTypes)
  func bitExact(_ type: GGMLType) throws {
    let manifest = try loadManifest()
    let entry = try #require(manifest.files.first { $0.typeCode == type.rawValue }, "no fixture for \(type)")
    let file = try GGUFFile(url: try Fixtures.url(entry.file))
    #expect(try file.string("fixture.ggml_type") == entry.type)
    #expect(file.tensors.map(\.name) == entry.tensors.map(\.name))
    for expected in entry.tensors {
      let info = try file.tensor(named: expected.name)
      #expect(info.type == type)
      #expect(info.dimensions == expected.dimensions)
      let values = try file.dequantize(info)
      let reference = try Fixtures.float32Bits(expected.expected)
      #expect(reference.count == expected.count)
      #expect(values.count == reference.count)
      let mismatches = (0 ..< min(values.count, reference.count)).filter { values[$0].bitPattern != reference[$0] }
      let first = mismatches.first.map { "index \($0): \(values[$0]) vs \(Float(bitPattern: reference[$0]))" } ?? ""
      #expect(mismatches.count == 0, "\(type) '\(expected.name)': \(mismatches.count) values differ, first at \(first)")
    }
  }

  @Test("Splitting a tensor into concurrent parts gives the same bits", arguments: requiredTypes)
  func partsMatchWhole(_ type: GGMLType) throws {
    let manifest = try loadManifest()
    let entry = try #require(manifest.files.first { $0.typeCode == type.rawValue })
    let file = try GGUFFile(url: try Fixtures.url(entry.file))
    for info in file.tensors {
      let whole = try file.dequantize(info, parts: 1).map(\.bitPattern)
      for parts in [2, 3, 7, 1000] {
        #expect(try file.dequantize(info, parts: parts).map(\.bitPattern) == whole, "\(info.name) in \(parts) parts")
      }
    }
  }

  @Test("dequantizeRows returns the same bits as the matching rows of dequantize", arguments: requiredTypes)
  func rowsMatchWhole(_ type: GGMLType) throws {
    let manifest = try loadManifest()
    let entry = try #require(manifest.files.first { $0.typeCode == type.rawValue })
    let file = try GGUFFile(url: try Fixtures.url(entry.file))
    for info in file.tensors {
      let whole = try file.dequantize(info)
      let rowLength = info.dimensions[0]
      let rowCount = info.elementCount / rowLength
      let picked = [rowCount - 1, 0, rowCount - 1]
      let rows = try file.dequantizeRows(info, rows: picked)
      #expect(rows.count == picked.count * rowLength)
      for (i, r) in picked.enumerated() {
        let expected = whole[r * rowLength ..< (r + 1) * rowLength].map(\.bitPattern)
        #expect(Array(rows[i * rowLength ..< (i + 1) * rowLength]).map(\.bitPattern) == expected)
      }
      #expect(throws: GGUFError.self) { try file.dequantizeRows(info, rows: [rowCount]) }
      #expect(throws: GGUFError.self) { try file.dequantizeRows(info, rows: [-1]) }
    }
  }
}

import AtlasArtifacts
import Foundation
import Testing

/// A folder of its own under the temporary directory, removed by the caller.
private func scratch() throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("artifact-tests-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

@Suite("atomic writes")
struct AtomicFileTests {
  @Test("A write replaces the whole file and leaves no temporary sibling")
  func replaces() throws {
    let folder = try scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("record.json")
    try AtomicFile.write("first version, longer than the second\n", to: file)
    try AtomicFile.write("second\n", to: file)
    #expect(try String(contentsOf: file, encoding: .utf8) == "second\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["record.json"])
  }

  @Test("A write that fails leaves the old file intact, removes its temporary file and names the path")
  func failedWrite() throws {
    let folder = try scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("record.json")
    try AtomicFile.write("old contents\n", to: file)
    // The temporary path is taken by a directory, so writing the new bytes fails before any rename.
    let blocker = AtomicFile.temporaryURL(for: file)
    try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: false)
    do {
      try AtomicFile.write("new contents\n", to: file)
      Issue.record("the write succeeded through a directory")
    } catch let error as ArtifactError {
      guard case .writeFailed(let path, _) = error else {
        Issue.record("expected writeFailed, got \(error)")
        return
      }
      #expect(path == file.path)
      #expect(error.description.contains("could not write \(file.path)"))
    }
    #expect(try String(contentsOf: file, encoding: .utf8) == "old contents\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["record.json"])
  }

  @Test("The temporary file is a hidden sibling in the same directory (so the rename never crosses file systems)")
  func temporarySibling() {
    let file = URL(fileURLWithPath: "/atlas/features/manifest.json")
    let temporary = AtomicFile.temporaryURL(for: file)
    #expect(temporary.deletingLastPathComponent() == file.deletingLastPathComponent())
    #expect(temporary.lastPathComponent.hasPrefix(".manifest.json.partial-"))
  }
}

@Suite("artifact headers")
struct ArtifactHeaderTests {
  /// A minimal sae/training.json of `formatVersion` with `extra` fields.
  func trainingJSON(kind: String = "sae", formatVersion: Int, complete: Bool = true) -> String {
    let body = complete ? """
      , "origin": "trained", "architecture": "topk", "dIn": 4, "dSAE": 8, "k": 2, "trainingTokens": 100,
      "parameters": {}, "inputDigest": "a", "weightsDigest": "b",
      "quality": {"fvu": 0.2, "mse": 0.1, "l0": 2, "deadFraction": 0, "denseFraction": 0, "heldOutTokens": 10},
      "curve": []
      """ : ", \"someFieldOfANewerFormat\": [1, 2, 3]"
    return "{\"kind\": \"\(kind)\", \"formatVersion\": \(formatVersion)\(body)}"
  }

  @Test("A newer formatVersion is refused before the body is decoded, naming the file, both versions and the command to re-run")
  func newerVersion() throws {
    let folder = try scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("training.json")
    // A body this build cannot decode: the header decides first, so the error is `incompatible`, not `malformed`.
    try AtomicFile.write(trainingJSON(formatVersion: SAETrainingRecord.formatVersion + 1, complete: false), to: file)
    do {
      _ = try SAETrainingRecord.read(from: file)
      Issue.record("a newer format was read")
    } catch let error as ArtifactError {
      #expect(error == .incompatible(path: file.path, kind: "sae", expectedVersion: SAETrainingRecord.formatVersion, foundKind: "sae",
                                     foundVersion: SAETrainingRecord.formatVersion + 1, rerun: "feature-atlas train"))
      #expect(error.description.contains(file.path))
      #expect(error.description.contains("format \(SAETrainingRecord.formatVersion + 1)"))
      #expect(error.description.contains("feature-atlas train"))
    }
  }

  @Test("Another kind of artifact at the path is refused, naming the kind found")
  func otherKind() throws {
    let folder = try scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("training.json")
    try AtomicFile.write(trainingJSON(kind: "layout", formatVersion: SAETrainingRecord.formatVersion), to: file)
    #expect(throws: ArtifactError.incompatible(path: file.path, kind: "sae", expectedVersion: SAETrainingRecord.formatVersion,
                                               foundKind: "layout", foundVersion: SAETrainingRecord.formatVersion,
                                               rerun: "feature-atlas train")) {
      try SAETrainingRecord.read(from: file)
    }
  }

  @Test("Stage names and the SAE's origin are typed but stored as the same strings; a name no pipeline writes is named in the error")
  func typedNamesAndOrigins() throws {
    let folder = try scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("training.json")
    let loaded = trainingJSON(formatVersion: SAETrainingRecord.formatVersion)
      .replacingOccurrences(of: "\"origin\": \"trained\"", with: "\"origin\": \"loaded from runs/sae.safetensors\"")
    try AtomicFile.write(loaded, to: file)
    let record = try SAETrainingRecord.read(from: file)
    #expect(record.origin == .loaded(path: "runs/sae.safetensors"))
    #expect(String(decoding: try JSONEncoder().encode(record.origin), as: UTF8.self) == "\"loaded from runs\\/sae.safetensors\"")

    let odd = trainingJSON(formatVersion: SAETrainingRecord.formatVersion)
      .replacingOccurrences(of: "\"origin\": \"trained\"", with: "\"origin\": \"downloaded\"")
    try AtomicFile.write(odd, to: file)
    #expect { try SAETrainingRecord.read(from: file) } throws: { error in
      guard case ArtifactError.malformed(let path, let reason) = error else { return false }
      return path == file.path && reason.contains("downloaded")
    }

    let stamp = StageStamp(stage: .layout, fingerprint: "f", inputs: [:], files: [])
    let json = String(decoding: try JSONEncoder().encode(stamp), as: UTF8.self)
    #expect(json.contains("\"stage\":\"layout\""))
    #expect(try JSONDecoder().decode(StageStamp.self, from: Data(json.utf8)) == stamp)
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(StageStamp.self, from: Data(json.replacingOccurrences(of: "\"layout\"", with: "\"publish\"").utf8))
    }
    #expect(StageName.allCases.sorted() == [.capture, .train, .features, .layout, .steer, .render])
  }

  @Test("The current version reads; no header or a missing file are errors of their own")
  func currentMissingMalformed() throws {
    let folder = try scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("training.json")
    try AtomicFile.write(trainingJSON(formatVersion: SAETrainingRecord.formatVersion), to: file)
    let record = try SAETrainingRecord.read(from: file)
    #expect(record.dSAE == 8)
    #expect(record.origin == .trained)

    try AtomicFile.write("{\"origin\": \"trained\"}", to: file)
    do {
      _ = try SAETrainingRecord.read(from: file)
      Issue.record("a file without a header was read")
    } catch let error as ArtifactError {
      guard case .malformed(let path, let reason) = error else {
        Issue.record("expected malformed, got \(error)")
        return
      }
      #expect(path == file.path)
      #expect(reason.contains("no kind/formatVersion header"))
    }
    let absent = folder.appendingPathComponent("absent.json")
    #expect(throws: ArtifactError.missing(path: absent.path, hint: "run `feature-atlas train` first")) {
      try SAETrainingRecord.read(from: absent)
    }
  }

  @Test("An SAE's origin reads back from the string a record stores")
  func origin() {
    #expect(SAEOrigin(recorded: SAEOrigin.trained.description) == .trained)
    let loaded = SAEOrigin.loaded(path: "/models/sae folder")
    #expect(loaded.description == "loaded from /models/sae folder")
    #expect(SAEOrigin(recorded: loaded.description) == loaded)
    #expect(SAEOrigin(recorded: "downloaded") == nil)
  }
}

@Suite("canonical JSON")
struct CanonicalJSONTests {
  struct Sample: Codable, Equatable {
    var zebra: Int
    var apple: [String: Double]
    var middle: String
    var nested: [String: [String: Int]]
  }

  func sample(insertionOrder: [String]) -> Sample {
    var apple: [String: Double] = [:]
    var nested: [String: [String: Int]] = [:]
    for key in insertionOrder {
      apple[key] = Double(key.count) / 4
      nested[key, default: [:]][String(key.reversed())] = key.count
    }
    return Sample(zebra: 3, apple: apple, middle: "m/é\"", nested: nested)
  }

  @Test("Keys are sorted at every depth")
  func sortedKeys() throws {
    let text = String(decoding: try CanonicalJSON.encode(sample(insertionOrder: ["delta", "alpha", "charlie", "bravo"])), as: UTF8.self)
    func offsets(_ keys: [String]) -> [Int] {
      keys.map { key in text.range(of: "\"\(key)\"").map { text.distance(from: text.startIndex, to: $0.lowerBound) } ?? -1 }
    }
    #expect(offsets(["apple", "middle", "nested", "zebra"]) == offsets(["apple", "middle", "nested", "zebra"]).sorted())
    let inner = offsets(["alpha", "bravo", "charlie", "delta"])
    #expect(inner.allSatisfy { $0 >= 0 })
    #expect(inner == inner.sorted())
    #expect(text.hasSuffix("}\n"))
    #expect(text.contains("m/é")) // slashes are not escaped
  }

  @Test("Equal values give identical bytes, whatever order their dictionaries were filled in")
  func identicalBytes() throws {
    let orders = [["delta", "alpha", "charlie", "bravo"], ["bravo", "charlie", "alpha", "delta"], ["alpha", "bravo", "charlie", "delta"]]
    let values = orders.map { sample(insertionOrder: $0) }
    #expect(values.allSatisfy { $0 == values[0] })
    let pretty = try values.map { try CanonicalJSON.encode($0) }
    let compact = try values.map { try CanonicalJSON.encodeCompact($0) }
    #expect(Set(pretty).count == 1)
    #expect(Set(compact).count == 1)
    #expect(!compact[0].contains(UInt8(ascii: "\n")))
    #expect(try CanonicalJSON.decode(Sample.self, from: compact[0]) == values[0])
    // JSONValue objects (how atlas.json embeds a configuration) filled in opposite orders give the same bytes.
    var forward: [String: JSONValue] = [:], backward: [String: JSONValue] = [:]
    let keys = (0 ..< 40).map { "key\($0)" }
    for (i, key) in keys.enumerated() { forward[key] = .number(Double(i)) }
    for (i, key) in keys.enumerated().reversed() { backward[key] = .object(["b": .bool(true), "a": .string("\(i)")]) }
    for (i, key) in keys.enumerated() { backward[key] = .number(Double(i)) }
    #expect(try CanonicalJSON.encode(JSONValue.object(forward)) == CanonicalJSON.encode(JSONValue.object(backward)))
  }

  @Test("Non-finite numbers round trip as strings instead of failing the write")
  func nonFinite() throws {
    let values: [Double] = [.infinity, -.infinity, 1.5]
    let data = try CanonicalJSON.encodeCompact(values)
    #expect(String(decoding: data, as: UTF8.self) == "[\"inf\",\"-inf\",1.5]")
    #expect(try CanonicalJSON.decode([Double].self, from: data) == values)
    let nan = try CanonicalJSON.decode([Double].self, from: CanonicalJSON.encodeCompact([Double.nan]))
    #expect(nan.count == 1 && nan[0].isNaN)
  }
}

@Suite("feature descriptions")
struct FeatureDescriptionTests {
  static func description(_ text: String, status: DescriptionStatus = .supported, kind: DescriptionKind = .concept)
    -> FeatureDescription {
    FeatureDescription(text: text, kind: kind, status: status, words: ["a", "b"], testedTokens: 2, grounding: nil, coverage: 0.5,
                       evidence: nil, topPrecision: nil, note: nil)
  }

  @Test("A description's head drops its example words and the strongest-firings prefix; a region is named by heads")
  func head() {
    #expect(Self.description("diseases (measles, plague, fever)").head == "diseases")
    #expect(Self.description("at its strongest, words about 'death' (kill, death)").head == "words about 'death'")
    #expect(Self.description("at its strongest, the word 'too'").head == "the word 'too'")
    #expect(Self.description("line breaks").head == "line breaks")
  }

  @Test("The name a reader sees: supported text, unconfirmed when too little evidence, unclear with the top tokens")
  func headline() {
    #expect(Self.description("the word 'too'").headline == "the word 'too'")
    #expect(Self.description("the word 'too'", status: .insufficient).headline == "the word 'too' (unconfirmed)")
    #expect(Self.description("diseases", status: .unclear).headline == "unclear: 'a' 'b'")
    #expect(Self.description("unclear", status: .insufficient, kind: .unclear).headline == "unclear (too few firings)")
  }
}

import Dispatch
import Foundation

/// The stages of a build, in order: what `stages/<stage>.json` and atlas.json's stage records are named by.
/// What each stage does lives with the pipeline; a record naming a stage no version of the pipeline has
/// does not decode.
public enum StageName: String, CaseIterable, Codable, Sendable, Comparable {
  case capture, train, features, layout, steer, render

  public static func < (a: StageName, b: StageName) -> Bool { a.order < b.order }

  public var order: Int { Self.allCases.firstIndex(of: self) ?? 0 }
}

/// One file a stage wrote: its path inside the atlas, size and SHA-256.
public struct FileDigestRecord: Codable, Sendable, Equatable {
  public var path: String            // relative to the atlas root, "/"-separated
  public var bytes: Int
  public var sha256: String
  public init(path: String, bytes: Int, sha256: String) { self.path = path; self.bytes = bytes; self.sha256 = sha256 }
}

/// `stages/<stage>.json`, written by the build after a stage's artifacts are complete (it is the commit point:
/// a stage killed before it is redone). It records the stage's fingerprint (parameters + input digests) and
/// the digest of every file the stage wrote, so a later build finds a tampered or damaged file by name.
public struct StageStamp: Artifact, Equatable {
  public static let kind = ArtifactKind.stage
  public static let formatVersion = 1
  public var kind = StageStamp.kind
  public var formatVersion = StageStamp.formatVersion
  public var stage: StageName
  public var fingerprint: String
  /// What the fingerprint covers: input name -> digest (upstream stages' output digests, model, resources).
  public var inputs: [String: String]
  public var files: [FileDigestRecord]
  /// One digest over `files` (paths and contents): what later stages record as this stage's output.
  public var outputDigest: String

  public init(stage: StageName, fingerprint: String, inputs: [String: String], files: [FileDigestRecord]) {
    self.stage = stage; self.fingerprint = fingerprint; self.inputs = inputs; self.files = files
    outputDigest = StageStamp.digest(of: files)
  }

  public static func digest(of files: [FileDigestRecord]) -> String {
    var hasher = SHA256()
    for f in files.sorted(by: { $0.path < $1.path }) { hasher.update("\(f.path)\u{0}\(f.bytes)\u{0}\(f.sha256)\n") }
    return hasher.hexDigest()
  }
}

/// A file whose bytes differ from what its stage recorded.
public struct ChangedFile: Sendable, Equatable, CustomStringConvertible {
  public enum Change: Sendable, Equatable { case missing, resized(expected: Int, found: Int), edited, added }
  public var path: String
  public var change: Change
  public var description: String {
    switch change {
    case .missing: "\(path) is missing"
    case .resized(let e, let f): "\(path) has \(f) bytes, \(e) were written"
    case .edited: "\(path) changed since it was written (SHA-256 differs)"
    case .added: "\(path) was not written by its stage"
    }
  }
}

/// Digests of the files under an atlas's stage folders, on every core.
public enum ArtifactFiles {
  /// Regular files under `folders` (relative to `root`), recursively, sorted by path. Hidden entries
  /// (temporary `.name.partial-PID` files) and folders named in `excluding` are skipped.
  public static func list(root: URL, folders: [String], excluding: Set<String> = []) -> [String] {
    var paths: [String] = []
    let fm = FileManager.default
    func walk(_ relative: String) {
      let url = root.appendingPathComponent(relative)
      guard let names = try? fm.contentsOfDirectory(atPath: url.path) else { return }
      for name in names.sorted() where !name.hasPrefix(".") {
        let child = relative.isEmpty ? name : "\(relative)/\(name)"
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root.appendingPathComponent(child).path, isDirectory: &isDirectory) else { continue }
        if isDirectory.boolValue {
          if !excluding.contains(child) { walk(child) }
        } else {
          paths.append(child)
        }
      }
    }
    for folder in folders { walk(folder) }
    return paths.sorted()
  }

  /// Size and SHA-256 of each path, computed in parallel.
  public static func digests(root: URL, paths: [String]) throws -> [FileDigestRecord] {
    let slots = ResultBox<FileDigestRecord>(count: paths.count)
    DispatchQueue.concurrentPerform(iterations: paths.count) { i in
      let url = root.appendingPathComponent(paths[i])
      do {
        let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
        slots.set(i, .success(FileDigestRecord(path: paths[i], bytes: size, sha256: try FileDigest.sha256(of: url))))
      } catch {
        slots.set(i, .failure(error))
      }
    }
    return try slots.values()
  }

  /// Compares the files on disk with a stamp: sizes first (cheap), then contents. Files present under the
  /// stamp's folders but not in the stamp are reported as added.
  public static func verify(_ stamp: StageStamp, root: URL, folders: [String], excluding: Set<String> = []) throws -> [ChangedFile] {
    var changes: [ChangedFile] = []
    var toHash: [FileDigestRecord] = []
    let fm = FileManager.default
    for f in stamp.files {
      let url = root.appendingPathComponent(f.path)
      guard let attributes = try? fm.attributesOfItem(atPath: url.path) else {
        changes.append(ChangedFile(path: f.path, change: .missing))
        continue
      }
      let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
      if size != f.bytes {
        changes.append(ChangedFile(path: f.path, change: .resized(expected: f.bytes, found: size)))
      } else {
        toHash.append(f)
      }
    }
    let found = try digests(root: root, paths: toHash.map(\.path))
    for (expected, actual) in zip(toHash, found) where expected.sha256 != actual.sha256 {
      changes.append(ChangedFile(path: expected.path, change: .edited))
    }
    let known = Set(stamp.files.map(\.path))
    for path in list(root: root, folders: folders, excluding: excluding) where !known.contains(path) {
      changes.append(ChangedFile(path: path, change: .added))
    }
    return changes.sorted { $0.path < $1.path }
  }
}

/// Results written from concurrent iterations, one slot each.
final class ResultBox<T>: @unchecked Sendable {
  private var slots: [Result<T, any Error>?]
  private let lock = NSLock()
  init(count: Int) { slots = Array(repeating: nil, count: count) }
  func set(_ i: Int, _ value: Result<T, any Error>) {
    lock.lock()
    slots[i] = value
    lock.unlock()
  }
  func values() throws -> [T] {
    try slots.map { slot in
      guard let slot else { throw ArtifactError.malformed(path: "", reason: "a parallel digest did not finish") }
      return try slot.get()
    }
  }
}

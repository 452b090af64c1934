import AtlasArtifacts
import Foundation

/// Locations shared by the test suites: the repository root, the shared reference data and the real model.
public enum TestPaths {
  /// The package root (the directory holding Package.swift), found from this source file.
  public static let packageRoot: URL = PackageLocations.root

  /// The real SmolLM2 GGUF, when set up (`FEATURE_ATLAS_MODEL`, else `.cache/model/...` under the package).
  public static var smolLM2: URL? {
    if let path = ProcessInfo.processInfo.environment["FEATURE_ATLAS_MODEL"], FileManager.default.fileExists(atPath: path) {
      return URL(fileURLWithPath: path)
    }
    let local = PackageLocations.cache().appendingPathComponent("model/SmolLM2-135M-Instruct.Q4_1.gguf")
    return FileManager.default.fileExists(atPath: local.path) ? local : nil
  }

  /// A scratch directory unique to one test, removed by the caller when done.
  public static func scratchDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("feature-atlas-tests")
      .appendingPathComponent("\(name)-\(getpid())-\(UInt64.random(in: 0 ... .max))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}

extension TestPaths {
  /// A product built next to the test bundle (e.g. `feature-atlas`), or nil when it was not built.
  public static func builtProduct(_ name: String) -> URL? {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [directory, directory.deletingLastPathComponent()] {
      let url = candidate.appendingPathComponent(name)
      if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return nil
  }

  /// A fixture file or folder of a test target's bundle.
  public static func fixture(_ name: String, in bundle: Bundle) throws -> URL {
    guard let url = bundle.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
      throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures/\(name)"])
    }
    return url
  }
}

/// Runs a command-line binary to completion: its exit status and the end of its standard error (the
/// message a failing test should show).
/// Runs `binary` to completion and returns its status, its whole standard output and its standard error.
public func runCapturingOutput(_ binary: URL, _ arguments: [String]) throws -> (status: Int32, output: Data, errors: String) {
  let process = Process()
  process.executableURL = binary
  process.arguments = arguments
  let output = Pipe(), errors = Pipe()
  process.standardOutput = output
  process.standardError = errors
  try process.run()
  // Both pipes are drained at once, so a child that fills one while we wait on the other cannot stall.
  final class Box: @unchecked Sendable { var data = Data() }
  let errorBytes = Box()
  let group = DispatchGroup()
  DispatchQueue.global().async(group: group) { errorBytes.data = errors.fileHandleForReading.readDataToEndOfFile() }
  let outputBytes = output.fileHandleForReading.readDataToEndOfFile()
  group.wait()
  process.waitUntilExit()
  return (process.terminationStatus, outputBytes, String(decoding: errorBytes.data, as: UTF8.self))
}

public func runToCompletion(_ binary: URL, _ arguments: [String]) throws -> (status: Int32, errors: String) {
  let process = Process()
  process.executableURL = binary
  process.arguments = arguments
  let errors = Pipe()
  process.standardError = errors
  process.standardOutput = FileHandle.nullDevice
  try process.run()
  let output = errors.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: output.suffix(2000), as: UTF8.self))
}

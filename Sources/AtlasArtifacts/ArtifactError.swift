/// What can go wrong reading or writing an atlas on disk. Each case says what was expected,
/// what was found and what to do.
public enum ArtifactError: Error, CustomStringConvertible, Equatable {
  case missing(path: String, hint: String)
  case malformed(path: String, reason: String)
  case incompatible(path: String, kind: String, expectedVersion: Int, foundKind: String, foundVersion: Int, rerun: String)
  case writeFailed(path: String, reason: String)
  case safetensors(path: String, reason: String)
  case missingTensor(path: String, name: String, available: [String])
  case tensorShape(path: String, name: String, expected: String, found: [Int])

  public var description: String {
    switch self {
    case .missing(let path, let hint):
      "\(path) does not exist (\(hint))"
    case .malformed(let path, let reason):
      "\(path) is not a valid artifact: \(reason); delete it and re-run the stage that writes it"
    case .incompatible(let path, let kind, let expectedVersion, let foundKind, let foundVersion, let rerun):
      "\(path) holds '\(foundKind)' format \(foundVersion), this build expects '\(kind)' format \(expectedVersion); re-run `\(rerun)`"
    case .writeFailed(let path, let reason):
      "could not write \(path): \(reason) (is the disk full or the directory read-only?)"
    case .safetensors(let path, let reason):
      "\(path) is not a valid safetensors file: \(reason)"
    case .missingTensor(let path, let name, let available):
      "\(path) has no tensor '\(name)'; it has \(available.sorted().joined(separator: ", "))"
    case .tensorShape(let path, let name, let expected, let found):
      "tensor '\(name)' in \(path) has shape \(found), expected \(expected)"
    }
  }
}

/// Everything that can be wrong with a GGUF file, each case saying what was expected, what was
/// found and what to do.
public enum GGUFError: Error, CustomStringConvertible, Equatable {
  case notGGUF(firstBytes: [UInt8])
  case unsupportedVersion(UInt32)
  case truncated(offset: Int, needed: Int, available: Int)
  case unknownValueType(key: String, code: UInt32)
  case duplicateKey(String)
  case unknownTensorType(tensor: String, code: UInt32)
  case unsupportedTensorType(tensor: String, type: String)
  case badTensor(tensor: String, reason: String)
  case missingKey(String)
  case wrongValueType(key: String, expected: String, found: String)
  case missingTensor(String)
  case rowOutOfRange(tensor: String, row: Int, rows: Int)
  case implausible(what: String, value: UInt64)
  case unreadable(path: String, reason: String)
  case noModelInArchive(path: String, members: [String])
  case severalModelsInArchive(path: String, models: [String])

  public var description: String {
    switch self {
    case .notGGUF(let bytes):
      bytes.isEmpty
        ? "not a GGUF file: it is empty, expected the magic 47 47 55 46 (\"GGUF\"); pass a .gguf file or a .whl that contains one"
        : "not a GGUF file: starts with \(hex(bytes)), expected 47 47 55 46 (\"GGUF\"); pass a .gguf file or a .whl that contains one"
    case .unsupportedVersion(let version):
      "GGUF version \(version) is not supported: expected version 2 or 3; re-convert the model with a current llama.cpp"
    case .truncated(let offset, let needed, let available):
      "file ends early at byte \(offset): expected \(needed) more bytes, found \(available); the file is incomplete or corrupt, re-download or re-copy it"
    case .unknownValueType(let key, let code):
      "metadata key '\(key)' has value type \(code), expected a GGUF value type 0...12; the file is corrupt or from a newer GGUF revision, re-download or re-convert it"
    case .duplicateKey(let key):
      "metadata key '\(key)' appears twice, expected each key once; the file is corrupt, re-download or re-convert it"
    case .unknownTensorType(let tensor, let code):
      "tensor '\(tensor)' has ggml type \(code), which this build does not know; expected one of the ggml type codes, and this build dequantizes \(GGMLType.supportedList): re-quantize the model to one of these"
    case .unsupportedTensorType(let tensor, let type):
      "tensor '\(tensor)' is \(type), expected one of \(GGMLType.supportedList), the types this build dequantizes; re-quantize the model to one of these (e.g. Q8_0 or Q4_1)"
    case .badTensor(let tensor, let reason):
      "tensor '\(tensor)' is malformed: \(reason); the file is corrupt, re-download or re-convert it"
    case .missingKey(let key):
      "metadata key '\(key)' is missing, expected it for this model; `feature-atlas inspect FILE` lists the keys this file has"
    case .wrongValueType(let key, let expected, let found):
      "metadata key '\(key)' holds a value of type \(found), expected \(expected); the converter wrote an unexpected type, check with `feature-atlas inspect FILE`"
    case .missingTensor(let name):
      "tensor '\(name)' is missing, expected it for this model; `feature-atlas inspect FILE` lists the tensors this file has"
    case .rowOutOfRange(let tensor, let row, let rows):
      "row \(row) of tensor '\(tensor)' was requested, expected 0 ..< \(rows); the token id or row index is out of range for this model"
    case .implausible(let what, let value):
      "\(what) is \(value), which is implausible; the file is corrupt, re-download or re-convert it"
    case .unreadable(let path, let reason):
      "cannot read \(path): \(reason); expected a readable .gguf file or model wheel, check the path and its permissions"
    case .noModelInArchive(let path, let members):
      "\(path) is a zip archive without a .gguf member, expected exactly one (found members: \(list(members))); pass the model wheel or the .gguf itself"
    case .severalModelsInArchive(let path, let models):
      "\(path) holds \(models.count) .gguf members (\(list(models))), expected exactly one; extract the one you want and pass it directly"
    }
  }
}

private func hex(_ bytes: [UInt8]) -> String {
  bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
}

private func list(_ names: [String]) -> String {
  names.isEmpty ? "none" : names.prefix(8).joined(separator: ", ") + (names.count > 8 ? ", ... \(names.count) in all" : "")
}

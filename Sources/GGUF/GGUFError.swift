/// Everything that can be wrong with a GGUF file, each case saying what was expected, what was
/// found and what to do.
public enum GGUFError: Error, CustomStringConvertible, Equatable {
  case notGGUF(firstBytes: [UInt8])
  case unsupportedVersion(UInt32)
  case truncated(offset: Int, needed: Int, available: Int)
  case unknownValueType(key: String, code: UInt32)
  case unknownTensorType(tensor: String, code: UInt32)
  case unsupportedTensorType(tensor: String, type: String)
  case badTensor(tensor: String, reason: String)
  case missingKey(String)
  case wrongValueType(key: String, expected: String, found: String)
  case missingTensor(String)
  case implausible(what: String, value: UInt64)
  case unreadable(path: String, reason: String)
  case noModelInArchive(path: String, members: [String])

  public var description: String {
    switch self {
    case .notGGUF(let bytes):
      "not a GGUF file: starts with \(bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ")), expected 47 47 55 46 (\"GGUF\"); pass a .gguf file or a .whl that contains one"
    case .unsupportedVersion(let version):
      "GGUF version \(version) is not supported; this build reads versions 2 and 3 (re-convert the model with a current llama.cpp)"
    case .truncated(let offset, let needed, let available):
      "file ends early at byte \(offset): needed \(needed) more bytes, \(available) left (incomplete download or copy? re-fetch the file)"
    case .unknownValueType(let key, let code):
      "metadata key '\(key)' has value type \(code); expected 0...12 (is the file corrupt?)"
    case .unknownTensorType(let tensor, let code):
      "tensor '\(tensor)' has ggml type \(code), which this build does not know; it reads \(GGMLType.supportedList)"
    case .unsupportedTensorType(let tensor, let type):
      "tensor '\(tensor)' is \(type); this build dequantizes \(GGMLType.supportedList) (re-quantize the model to one of these)"
    case .badTensor(let tensor, let reason):
      "tensor '\(tensor)': \(reason) (is the file corrupt?)"
    case .missingKey(let key):
      "metadata key '\(key)' is missing; `feature-atlas inspect FILE` lists the keys this file has"
    case .wrongValueType(let key, let expected, let found):
      "metadata key '\(key)' holds \(found), expected \(expected)"
    case .missingTensor(let name):
      "tensor '\(name)' is missing; `feature-atlas inspect FILE` lists the tensors this file has"
    case .implausible(let what, let value):
      "\(what) is \(value), which is implausible (corrupt file?)"
    case .unreadable(let path, let reason):
      "cannot read \(path): \(reason)"
    case .noModelInArchive(let path, let members):
      "\(path) is a zip archive without a .gguf member (members: \(members.prefix(8).joined(separator: ", "))\(members.count > 8 ? ", ..." : "")); pass the model wheel or the .gguf itself"
    }
  }
}

import Foundation
import GGUF
import Llama
import TestSupport

/// The real model, loaded once per test process (dequantizing takes a moment).
enum TestModel {
  static let smolLM2: LlamaModel? = {
    guard let url = TestPaths.smolLM2, let file = try? GGUFFile(url: url) else { return nil }
    return try? LlamaModel(gguf: file, maxPositions: 1024)
  }()

  static var available: Bool { TestPaths.smolLM2 != nil }

  static func fixture(_ name: String) throws -> URL {
    guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
      throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures/\(name)"])
    }
    return url
  }
}

/// ‖a − b‖ / ‖b‖ for two rows.
func relativeError(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
  var diff = 0.0, norm = 0.0
  for (x, y) in zip(a, b) {
    diff += Double(x - y) * Double(x - y)
    norm += Double(y) * Double(y)
  }
  return (diff / max(norm, 1e-30)).squareRoot()
}

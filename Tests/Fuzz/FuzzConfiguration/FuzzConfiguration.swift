// libFuzzer target: arbitrary bytes as the YAML configuration (`--config atlas.yaml`).
// Loads it over the default preset, as `feature-atlas build --config` does, then validates it without a
// model. Thrown errors are fine; a crash, trap, hang or huge allocation is a finding.
// Built and run by scripts/fuzz.sh (`make fuzz`).
import AtlasPipeline
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfiguration(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  guard let text = String(validating: UnsafeBufferPointer(start: start, count: count), as: UTF8.self) else { return 0 }
  guard let configuration = try? AtlasConfiguration.load(yaml: text, over: .preset(.default), source: "fuzz.yaml") else {
    return 0
  }
  _ = try? configuration.validate()
  return 0
}

@_cdecl("FuzzConfiguration_main")
public func fuzzConfigurationMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runFuzzer(argc, argv, fuzzConfiguration)
}

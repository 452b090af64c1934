// libFuzzer target: arbitrary bytes as a .safetensors file (SAE weights, layout positions, activations).
// Parses the header and reads every tensor as floats and as integers. Thrown errors are fine; a crash,
// trap, hang or huge allocation is a finding. Built and run by scripts/fuzz.sh (`make fuzz`).
import AtlasArtifacts
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  guard let file = try? SafeTensorsFile(bytes: Data(bytes: start, count: count)) else { return 0 }
  for name in file.names {
    _ = try? file.info(name)
    _ = try? file.floats(name)
    _ = try? file.integers(name)
  }
  return 0
}

@_cdecl("FuzzSafeTensors_main")
public func fuzzSafeTensorsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runFuzzer(argc, argv, fuzzSafeTensors)
}

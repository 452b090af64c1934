// libFuzzer target: arbitrary bytes as a GGUF model file.
// Parses the header and tensor directory, reads the Llama configuration and the BPE tokenizer from the
// metadata (as `feature-atlas` does before loading weights), and dequantizes every tensor of at most
// 65,536 elements. Thrown errors are the expected outcome for bad input; a crash, trap, hang or huge
// allocation is a finding. Built and run by scripts/fuzz.sh (`make fuzz`).
import Foundation
import FuzzSupport
import GGUF
import Llama

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  let bytes = Data(bytes: start, count: count)
  guard let file = try? GGUFFile(bytes: bytes) else { return 0 }
  _ = try? LlamaConfiguration(gguf: file)
  _ = try? LanguageModel.tokenizer(from: file)
  for key in file.metadataKeys {
    _ = try? file.string(key)
    _ = try? file.integer(key)
    _ = try? file.double(key)
    _ = try? file.stringArray(key)
    _ = try? file.integerArray(key)
  }
  for info in file.tensors where info.dimensions.reduce(1, { $0.multipliedReportingOverflow(by: max($1, 0)).partialValue }) <= 65_536 {
    _ = try? file.dequantize(info)
    _ = try? file.dequantizeRows(info, rows: [0])
  }
  return 0
}

@_cdecl("FuzzGGUF_main")
public func fuzzGGUFMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runFuzzer(argc, argv, fuzzGGUF)
}

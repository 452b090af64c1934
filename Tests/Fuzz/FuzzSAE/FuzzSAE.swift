// libFuzzer target: arbitrary bytes as a SAELens or sparsify SAE folder (cfg.json + weights).
// Input layout: byte 0 picks the format (bit 0: 0 SAELens, 1 sparsify) and fold_decoder_norms (bit 1);
// bytes 1-2 (little-endian) are the cfg.json length n; the next n bytes are cfg.json, the rest is the
// weights file (sae_weights.safetensors / sae.safetensors). These are the two byte strings the folder
// loader (TrainStage.loadSAE) reads from disk and hands to the same decoders. Thrown errors are fine;
// a crash, trap, hang or huge allocation is a finding. Built and run by scripts/fuzz.sh (`make fuzz`).
import Foundation
import FuzzSupport
import SparseAutoencoders

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSAE(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  guard count >= 3 else { return 0 }
  let mode = start[0]
  let cfgLength = min(Int(start[1]) | Int(start[2]) << 8, count - 3)
  let cfg = Data(bytes: start + 3, count: cfgLength)
  let weights = Data(bytes: start + 3 + cfgLength, count: count - 3 - cfgLength)
  let fold = mode & 2 != 0
  if mode & 1 == 0 {
    _ = try? SAELensFormat.decode(cfg: cfg, weights: weights, foldDecoderNorms: fold)
  } else {
    _ = try? SparsifyFormat.decode(cfg: cfg, weights: weights, foldDecoderNorms: fold)
  }
  return 0
}

@_cdecl("FuzzSAE_main")
public func fuzzSAEMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runFuzzer(argc, argv, fuzzSAE)
}

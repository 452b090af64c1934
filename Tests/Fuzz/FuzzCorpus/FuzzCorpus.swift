// libFuzzer target: arbitrary bytes as a JSONL corpus file (`--corpus data.jsonl`).
// The bytes are written to a per-process temporary file that Corpus.load reads as a JSONL source, as
// `feature-atlas build --corpus` does. Thrown errors are fine; a crash, trap, hang or huge allocation is a
// finding. Built and run by scripts/fuzz.sh (`make fuzz`).
import Corpus
import Foundation
import FuzzSupport

let corpusPath = FileManager.default.temporaryDirectory
  .appendingPathComponent("feature-atlas-fuzz-corpus-\(ProcessInfo.processInfo.processIdentifier).jsonl").path

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCorpus(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  guard FileManager.default.createFile(atPath: corpusPath, contents: Data(bytes: start, count: count)) else { return 0 }
  let configuration = CorpusConfiguration(sources: [WeightedSource(.jsonl(path: corpusPath, textKey: "text"))])
  _ = try? Corpus.load(configuration)
  return 0
}

@_cdecl("FuzzCorpus_main")
public func fuzzCorpusMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runFuzzer(argc, argv, fuzzCorpus)
}

// The entry point shared by the fuzz targets. SwiftPM links an executable target with
// `--defsym main=<Module>_main`, so libFuzzer's own `main` is never used; each target defines
// `<Module>_main` and hands its `LLVMFuzzerTestOneInput` to libFuzzer's driver here.

/// One fuzz input: the bytes and their count. Return 0; a crash, trap or sanitizer report is the finding.
public typealias FuzzInput = @convention(c) (UnsafePointer<UInt8>, Int) -> CInt

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
  _ argc: UnsafeMutablePointer<CInt>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  _ callback: FuzzInput) -> CInt

/// Runs libFuzzer with the process's arguments (`-runs=`, `-seed=`, corpus folders, ...).
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ input: FuzzInput) -> CInt {
  var count = argc
  var arguments = argv
  return LLVMFuzzerRunDriver(&count, &arguments, input)
}

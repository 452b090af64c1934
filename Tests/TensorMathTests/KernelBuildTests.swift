import Foundation
import TestSupport
import Testing

/// TensorMath's SIMD kernels are `@inlinable`, so every module that calls one compiles its own copy, and the
/// linker keeps one copy per symbol name for the whole program. A copy made without the CPU target computes
/// `SIMD8<Float>` FMAs as eight calls to libm's `fmaf`, and whichever copy the linker keeps is the one the
/// forward pass runs. Package.swift gives every module the target; this checks the built program for it.
@Suite("Kernel build")
struct KernelBuildTests {
  @Test("No code in feature-atlas calls libm's fmaf: every copy of a SIMD kernel was compiled for the CPU target")
  func noPerLaneFMA() throws {
    let binary = try #require(TestPaths.builtProduct("feature-atlas"), "build the product first: swift build -c release")
    let objdump = try #require(
      ["/usr/bin/objdump", "/bin/objdump"].first { FileManager.default.isExecutableFile(atPath: $0) },
      "objdump is not installed: `apt-get install binutils` (the Swift toolchain needs it to link)")
    let (status, output, errors) = try runCapturingOutput(URL(fileURLWithPath: objdump), ["-d", "--no-show-raw-insn", binary.path])
    #expect(status == 0, "\(errors)")
    var function = "", callers: [String: Int] = [:]
    var lines = 0
    for line in String(decoding: output, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true) {
      lines += 1
      if line.hasSuffix(">:"), let open = line.firstIndex(of: "<") {
        function = String(line[line.index(after: open) ..< line.index(line.endIndex, offsetBy: -2)])
      } else if line.contains("<fmaf@plt>") || line.contains("<fma@plt>") {
        callers[function, default: 0] += 1
      }
    }
    #expect(lines > 100_000, "objdump printed only \(lines) lines for \(binary.path)")
    #expect(callers.isEmpty, "calls to libm's fma from: \(callers.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))")
  }
}

import COpenBLAS
import Foundation

/// OpenBLAS picks its kernels from the CPU model at load time. Debian's 0.3.21 does not know recent
/// Xeons and falls back to its SSE3 "Prescott" kernels, 3-4x slower than the AVX-512 ones the CPU can
/// run. `OPENBLAS_CORETYPE` overrides the choice, but only before the library loads, so an executable
/// that finds a fallback kernel on a capable CPU re-executes itself once with the variable set.
public enum KernelSelection {
  /// The kernel family OpenBLAS chose (e.g. "SkylakeX", "Haswell", "Zen", "Prescott").
  public static var coreName: String { String(cString: openblas_get_corename()) }

  /// The OpenBLAS core type this CPU should use when detection fell back to a generic one, else nil.
  public static func recommendedCoreType(coreName: String, cpuFlags: Set<String>) -> String? {
    let generic: Set<String> = ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Katmai", "Coppermine",
                                "Northwood", "Banias", "Atom", "Barcelona", "Opteron", "Opteron_SSE3"]
    guard generic.contains(coreName) else { return nil }
    if cpuFlags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { return "SkylakeX" }
    if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
    return nil
  }

  /// CPU feature flags from /proc/cpuinfo (empty where unavailable).
  public static func cpuFlags() -> Set<String> {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return [] }
    return Set(line.split(separator: ":").last?.split(separator: " ").map(String.init) ?? [])
  }

  /// Call first thing in `main`: re-executes the process with `OPENBLAS_CORETYPE` set when OpenBLAS
  /// fell back to a generic kernel on a CPU with AVX2/AVX-512. Does nothing if the variable is already set.
  public static func ensureFastKernels() {
    guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
      let core = recommendedCoreType(coreName: coreName, cpuFlags: cpuFlags())
    else { return }
    setenv("OPENBLAS_CORETYPE", core, 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // execv only returns on failure; carry on with the slower kernels.
  }
}

import Dispatch

/// Data-parallel loops over the machine's cores. Closures are `@Sendable`; pointers travel in
/// `UnsafeSendable` boxes because Swift 6 cannot see that disjoint index ranges do not race.
public enum Parallel {
  /// Number of worker threads used by `forEach` (the core count).
  public static let workers: Int = max(1, sysconfWorkers())

  /// Calls `body(i)` for i in 0 ..< count, spread over the cores. BLAS stays single-threaded inside, also
  /// when there is one item or one core: a BLAS product's bits depend on OpenBLAS's thread count, so a
  /// body run outside the region computed with whatever count the process had at that moment (2, or 1
  /// while a concurrent task was inside a region). NN-descent on ≤ 1,024 points is one leaf, one product:
  /// two identical layouts in one test process differed whenever another test held a region.
  public static func forEach(_ count: Int, _ body: @Sendable (Int) -> Void) {
    BLAS.singleThreaded {
      if count <= 1 || workers == 1 {
        for i in 0 ..< count { body(i) }
      } else {
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
      }
    }
  }

  /// Splits 0 ..< count into `parts` contiguous chunks (default: one per core) and calls `body(range)`.
  public static func chunks(_ count: Int, parts: Int = workers, _ body: @Sendable (Range<Int>) -> Void) {
    let parts = max(1, min(parts, count))
    forEach(parts) { p in
      let start = count * p / parts
      let end = count * (p + 1) / parts
      body(start ..< end)
    }
  }
}

private func sysconfWorkers() -> Int {
  #if canImport(Glibc)
  return Int(Glibc.sysconf(Int32(Glibc._SC_NPROCESSORS_ONLN)))
  #else
  return 2
  #endif
}

/// A pointer (or any value) that the caller promises is used without data races.
public struct UnsafeSendable<Value>: @unchecked Sendable {
  public let value: Value
  public init(_ value: Value) { self.value = value }
}

#if canImport(Glibc)
import Glibc
#endif

/// One slot per parallel task, so workers can hand back results without sharing a Swift array (whose
/// exclusivity checks would trap on concurrent writes).
public final class ResultSlots<Value>: @unchecked Sendable {
  private let slots: UnsafeMutablePointer<Value?>
  private let count: Int
  public init(count: Int) {
    self.count = count
    slots = .allocate(capacity: count)
    slots.initialize(repeating: nil, count: count)
  }
  deinit {
    slots.deinitialize(count: count)
    slots.deallocate()
  }
  /// Each slot is written once, by one task.
  public func set(_ index: Int, _ value: Value) { slots[index] = value }
  /// Read only after every worker has finished.
  public var values: [Value] { (0 ..< count).compactMap { slots[$0] } }
}

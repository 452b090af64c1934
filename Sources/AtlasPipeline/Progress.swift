import AtlasArtifacts
import Foundation

/// Where stages report what they do. The CLI prints; tests collect; `--json` keeps stdout clean.
public protocol ProgressSink: Sendable {
  /// A line of text (stage headers, summaries, warnings).
  func log(_ line: String)
  /// Work done so far out of `total` units (`unit` names them, e.g. "tokens").
  func progress(_ label: String, done: Int, total: Int, unit: String)
  /// The current progress bar is finished.
  func finish(_ label: String)
}

/// Prints to stderr: a live bar with rate and ETA on a terminal, plain periodic lines otherwise.
public final class TerminalProgress: ProgressSink, @unchecked Sendable {
  private let lock = NSLock()
  private let isTTY: Bool
  private let interval: Double
  private var started: [String: Date] = [:]
  private var lastPrint: [String: Date] = [:]
  private let quiet: Bool

  public init(quiet: Bool = false, plainInterval: Double = 5) {
    isTTY = isatty(STDERR_FILENO) != 0
    interval = plainInterval
    self.quiet = quiet
  }

  private func write(_ s: String) {
    FileHandle.standardError.write(Data(s.utf8))
  }

  public func log(_ line: String) {
    lock.withLock { write((isTTY ? "\r\u{1B}[K" : "") + line + "\n") }
  }

  public func progress(_ label: String, done: Int, total: Int, unit: String) {
    if quiet { return }
    lock.withLock {
      let now = Date()
      let start = started[label] ?? now
      if started[label] == nil { started[label] = now }
      let elapsed = now.timeIntervalSince(start)
      let rate = elapsed > 0 ? Double(done) / elapsed : 0
      let remaining = rate > 0 ? Double(total - done) / rate : 0
      let fraction = total > 0 ? Double(done) / Double(total) : 0
      if isTTY {
        if let last = lastPrint[label], now.timeIntervalSince(last) < 0.1, done < total { return }
        lastPrint[label] = now
        let width = 28
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        write("\r\u{1B}[K  \(label) \(bar) \(Int(fraction * 100))% \(done)/\(total) \(unit)  \(Format.rate(rate)) \(unit)/s  ETA \(Format.seconds(remaining))")
      } else {
        if let last = lastPrint[label], now.timeIntervalSince(last) < interval, done < total { return }
        lastPrint[label] = now
        write("  \(label): \(done)/\(total) \(unit) (\(Int(fraction * 100))%), \(Format.rate(rate)) \(unit)/s, ETA \(Format.seconds(remaining))\n")
      }
    }
  }

  public func finish(_ label: String) {
    lock.withLock {
      if isTTY && !quiet { write("\r\u{1B}[K") }
      started[label] = nil
      lastPrint[label] = nil
    }
  }
}

/// Collects lines (tests, `--json`).
public final class CollectingProgress: ProgressSink, @unchecked Sendable {
  private let lock = NSLock()
  private var storage: [String] = []
  public init() {}
  public var lines: [String] { lock.withLock { storage } }
  public func log(_ line: String) { lock.withLock { storage.append(line) } }
  public func progress(_ label: String, done: Int, total: Int, unit: String) {}
  public func finish(_ label: String) {}
}

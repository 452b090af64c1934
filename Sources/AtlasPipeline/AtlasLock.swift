import AtlasArtifacts
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// An exclusive lock on an atlas directory, held by every command that writes to it.
///
/// `flock(2)` on `<atlas>/.lock`: the kernel drops it when the holder exits, however it exits, so a lock
/// left by a killed process is taken over by the next command. The file names the holder (pid, command,
/// start time) so a second writer can say who it is waiting for; it fails at once instead of waiting.
public final class AtlasLock {
  public let url: URL
  private let descriptor: Int32

  public struct Holder: Codable, Sendable, Equatable {
    public var pid: Int32
    public var command: String
    public var started: String
  }

  /// Takes the lock or throws `PipelineError.locked` naming the holder. `command` is what this process does.
  public init(atlas: AtlasDirectory, command: String) throws {
    url = atlas.lock
    try FileManager.default.createDirectory(at: atlas.root, withIntermediateDirectories: true)
    let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw PipelineError.invalidConfiguration(
        "cannot open the lock file \(url.path) (\(String(cString: strerror(errno)))); check that the atlas directory is writable")
    }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      let holder = Self.readHolder(fd)
      close(fd)
      throw PipelineError.locked(path: atlas.root.path, holder: holder.map { "pid \($0.pid), `\($0.command)`, started \($0.started)" })
    }
    descriptor = fd
    let holder = Holder(pid: getpid(), command: command, started: ISO8601DateFormatter().string(from: Date()))
    if let data = try? CanonicalJSON.encodeCompact(holder) {
      _ = ftruncate(fd, 0)
      _ = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }
  }

  deinit {
    _ = ftruncate(descriptor, 0)
    flock(descriptor, LOCK_UN)
    close(descriptor)
  }

  static func readHolder(_ fd: Int32) -> Holder? {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = pread(fd, &buffer, buffer.count, 0)
    guard n > 0 else { return nil }
    return try? CanonicalJSON.decode(Holder.self, from: Data(buffer[0 ..< n]))
  }

  /// Removes what killed runs left behind: temporary `.name.partial-PID` files and folders (and `.site.old-PID`, a site
  /// being swapped out) in the atlas and its stage folders. Safe only while holding the lock (no other writer can own
  /// them). Returns the paths.
  @discardableResult
  public func removeLeftovers(in atlas: AtlasDirectory) -> [String] {
    let fm = FileManager.default
    var removed: [String] = []
    var folders = [atlas.root]
    for name in (try? fm.contentsOfDirectory(atPath: atlas.root.path)) ?? [] where !name.hasPrefix(".") {
      var isDirectory: ObjCBool = false
      let url = atlas.root.appendingPathComponent(name)
      if fm.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue, name != "site" { folders.append(url) }
    }
    for folder in folders {
      for name in (try? fm.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix(".") && (name.contains(".partial-") || name.contains(".old-")) {
        let url = folder.appendingPathComponent(name)
        if (try? fm.removeItem(at: url)) != nil { removed.append(url.path) }
      }
    }
    return removed.sorted()
  }
}

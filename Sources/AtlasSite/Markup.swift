/// Making untrusted text (corpus windows, model generations, labels, file names) safe to place in
/// XHTML, SVG and JavaScript data files.
///
/// Every string that reaches a page passes through `displayable` (view models) and is then escaped,
/// either by Mustache (`{{ }}`) or by `escape` (markup our own code builds: SVG and token strips).
package enum Markup {
  // MARK: - Characters XML cannot carry

  /// Replaces characters that XML 1.0 forbids (C0 controls except tab, newline and carriage return;
  /// U+FFFE and U+FFFF) with visible stand-ins: U+2400 + code for controls (e.g. U+0007 -> "␇"),
  /// U+FFFD for the two non-characters. Everything else is kept as it is.
  package static func displayable(_ text: String) -> String {
    guard text.utf8.contains(where: suspicious) else { return text }
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      if let name = bidiControls[scalar.value] { out.append(contentsOf: "‹\(name)›".unicodeScalars); continue }
      out.append(displayableScalar(scalar, keepWhitespace: true))
    }
    return String(out)
  }

  /// Lead bytes of what needs a look: C0 controls, U+FFFE/U+FFFF (0xEF), the bidirectional controls
  /// (U+2000 block: 0xE2; U+061C: 0xD8).
  private static func suspicious(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0xEF || byte == 0xE2 || byte == 0xD8 }

  /// Bidirectional formatting characters, shown by name: raw, U+202E would make the text after it read
  /// backwards ("evil" shown as "live") on a page that quotes a corpus.
  static let bidiControls: [UInt32: String] = [
    0x202A: "LRE", 0x202B: "RLE", 0x202C: "PDF", 0x202D: "LRO", 0x202E: "RLO",
    0x2066: "LRI", 0x2067: "RLI", 0x2068: "FSI", 0x2069: "PDI", 0x200E: "LRM", 0x200F: "RLM", 0x061C: "ALM",
  ]

  /// A token piece as shown in an example strip: like `displayable`, and also whitespace controls made
  /// visible (newline "↵", tab "⇥", carriage return "␍") so every token has a visible extent.
  package static func tokenText(_ piece: String) -> String {
    guard piece.utf8.contains(where: suspicious) else { return piece }
    var out = String.UnicodeScalarView()
    for scalar in piece.unicodeScalars {
      if let name = bidiControls[scalar.value] { out.append(contentsOf: "‹\(name)›".unicodeScalars); continue }
      out.append(displayableScalar(scalar, keepWhitespace: false))
    }
    return String(out)
  }

  private static func displayableScalar(_ scalar: Unicode.Scalar, keepWhitespace: Bool) -> Unicode.Scalar {
    switch scalar.value {
    case 0x0A: return keepWhitespace ? scalar : "↵"
    case 0x09: return keepWhitespace ? scalar : "⇥"
    case 0x0D: return keepWhitespace ? scalar : "␍"
    case 0x00 ..< 0x20: return Unicode.Scalar(0x2400 + scalar.value) ?? "\u{FFFD}"
    case 0xFFFE, 0xFFFF: return "\u{FFFD}"
    default: return scalar
    }
  }

  // MARK: - XML escaping

  /// Escapes `& < > " '` for XHTML text and attribute values (the five XML predefined entities;
  /// named HTML entities such as `&nbsp;` are never produced because XML does not define them).
  package static func escape(_ text: String) -> String {
    guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else {
      return text
    }
    var out = ""
    out.reserveCapacity(text.utf8.count + 16)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  /// What `{{ }}` does in our templates (the XHTML content type): `displayable` then `escape`, with a
  /// fast path for text that needs neither.
  package static func xhtml(_ text: String) -> String {
    guard text.utf8.contains(where: {
      $0 < 0x20 || $0 == 0xEF || $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27
    }) else {
      return text
    }
    return escape(displayable(text))
  }

  /// `displayable` then `escape`: untrusted text ready for markup our code builds.
  package static func text(_ text: String) -> String { escape(displayable(text)) }

  // MARK: - JavaScript data

  /// A JSON string literal that is also safe inside an HTML `<script>` element or an XHTML page:
  /// `<`, `>`, `&`, U+2028 and U+2029 are written as `\uXXXX`, so `</script>`, `<!--` and line
  /// separators cannot end the script or the string. Invalid-XML characters become visible stand-ins.
  package static func jsString(_ text: String) -> String {
    var out = "\""
    out.reserveCapacity(text.utf8.count + 2)
    for scalar in displayable(text).unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "<": out += "\\u003c"
      case ">": out += "\\u003e"
      case "&": out += "\\u0026"
      case "\u{2028}": out += "\\u2028"
      case "\u{2029}": out += "\\u2029"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}

import Corpus
import TensorMath
import Testing

@Suite("Text cleaning")
struct CleaningTests {
  @Test("Backspace overstrikes leave the text a terminal shows")
  func overstrike() {
    #expect(TextCleaner.clean("H\u{8}He\u{8}el\u{8}ll\u{8}lo") == "Hello")
    #expect(TextCleaner.clean("_\u{8}u_\u{8}n_\u{8}d_\u{8}e_\u{8}r") == "under")
    #expect(TextCleaner.clean("ab\u{8}\u{8}cd") == "cd")
    // A backspace never joins lines, and one at the very start deletes nothing.
    #expect(TextCleaner.clean("line\n\u{8}next") == "line\nnext")
    #expect(TextCleaner.clean("\u{8}x") == "x")
    // Overstrike of a multi-byte character removes the whole character.
    #expect(TextCleaner.clean("é\u{8}é ü\u{8}ü") == "é ü")
  }

  @Test("ANSI escape sequences are removed, text between them kept")
  func ansi() {
    #expect(TextCleaner.clean("\u{1B}[1;31mred\u{1B}[0m plain") == "red plain")
    #expect(TextCleaner.clean("\u{1B}[38;5;208morange\u{1B}[m") == "orange")
    #expect(TextCleaner.clean("\u{1B}]0;window title\u{7}text") == "text")
    #expect(TextCleaner.clean("\u{1B}]8;;http://x\u{1B}\\link\u{1B}]8;;\u{1B}\\") == "link")
    #expect(TextCleaner.clean("\u{1B}(Bascii\u{1B}=keypad") == "asciikeypad")
    #expect(TextCleaner.clean("\u{1B}[2J\u{1B}[Hcleared") == "cleared")
    #expect(TextCleaner.clean("end\u{1B}") == "end")
    // An unterminated OSC string stops at the end of its line.
    #expect(TextCleaner.clean("\u{1B}]0;title\nnext line") == "\nnext line")
  }

  @Test("CRLF becomes LF; other C0 controls and DEL go; tab and LF stay")
  func controls() {
    #expect(TextCleaner.clean("a\r\nb\r\n") == "a\nb\n")
    #expect(TextCleaner.clean("lone\rcr") == "lonecr")
    #expect(TextCleaner.clean("a\u{0}b\u{4}c\u{6}d\u{13}e\u{1D}f\u{7F}g") == "abcdefg")
    #expect(TextCleaner.clean("\tindented\n\tlines\n") == "\tindented\n\tlines\n")
    #expect(TextCleaner.clean("\u{C}form feed") == "form feed")
  }

  @Test("Cleaning leaves no control but tab and LF, is idempotent, and returns clean text unchanged")
  func properties() {
    var rng = SplitMix64(seed: 7)
    let alphabet: [Unicode.Scalar] = ["a", "b", "é", "日", "\u{8}", "\u{1B}", "[", "3", "1", ";", "m", "]", "\u{7}",
                                      "\r", "\n", "\t", "\u{0}", "\u{1D}", "\u{7F}", " ", "\\", "("]
    for _ in 0 ..< 500 {
      var text = String.UnicodeScalarView()
      for _ in 0 ..< rng.nextInt(below: 60) { text.append(alphabet[rng.nextInt(below: alphabet.count)]) }
      let cleaned = TextCleaner.clean(String(text))
      #expect(!cleaned.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\t" && $0 != "\n") || $0.value == 0x7F })
      #expect(TextCleaner.clean(cleaned) == cleaned)
    }
    let clean = "Plain text, with tabs\tand\nnewlines; ünïcödé 日本語."
    #expect(TextCleaner.clean(clean) == clean)
  }

  @Test("Invalid UTF-8 is replaced by U+FFFD and counted; a byte-order mark is dropped")
  func decoding() {
    let latin1: [UInt8] = Array("caf".utf8) + [0xE9] + Array(" cr".utf8) + [0xE8, 0x6D, 0x65]  // "café crème" in Latin-1
    let decoded = TextCleaner.decodeUTF8(latin1)
    #expect(decoded.text == "caf\u{FFFD} cr\u{FFFD}me")
    #expect(decoded.replaced == 2)
    #expect(TextCleaner.decodeUTF8([0xEF, 0xBB, 0xBF] + Array("bom".utf8)) == ("bom", 0))
    #expect(TextCleaner.decodeUTF8(Array("ok ü".utf8)) == ("ok ü", 0))
    // A character cut short counts once.
    #expect(TextCleaner.decodeUTF8([0x61, 0xE6, 0x97]).replaced == 1)
  }

  @Test("Binary data is recognised; text, even with some invalid bytes, is not")
  func binary() {
    #expect(TextCleaner.looksBinary([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D]))  // PNG
    #expect(TextCleaner.looksBinary(Array("text with a NUL\u{0} inside".utf8)))
    var rng = SplitMix64(seed: 3)
    let noise = (0 ..< 4096).map { _ in UInt8(1 + rng.nextInt(below: 255)) }  // random bytes without NUL
    #expect(TextCleaner.looksBinary(noise))
    #expect(!TextCleaner.looksBinary(Array("An ordinary line.\r\n\tAnother, with ünïcode.\n".utf8)))
    #expect(!TextCleaner.looksBinary(Array("Latin-1: caf".utf8) + [0xE9] + Array(" and more words here".utf8)))
    #expect(!TextCleaner.looksBinary([]))
  }
}

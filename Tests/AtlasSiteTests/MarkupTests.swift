import AtlasArtifacts
import AtlasFixtures
import Foundation
import Testing

import AtlasSite

@Suite("Escaping untrusted text")
struct MarkupTests {
  @Test("escape() replaces the five XML specials and nothing else")
  func escape() {
    #expect(Markup.escape(#"<a href="x">Tom & 'Jerry'</a>"#) == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;")
    #expect(Markup.escape("plain ’ text 東京 😀") == "plain ’ text 東京 😀")
    #expect(Markup.escape("&amp;") == "&amp;amp;")
  }

  @Test("Characters XML cannot carry become visible stand-ins; whitespace controls stay in text but show in tokens")
  func controls() {
    #expect(Markup.displayable("a\u{0}b\u{7}c\u{1B}d\u{7F}") == "a␀b␇c␛d\u{7F}")
    #expect(Markup.displayable("x\u{FFFE}y\u{FFFF}") == "x\u{FFFD}y\u{FFFD}")
    #expect(Markup.displayable("line\nbreak\ttab") == "line\nbreak\ttab")
    #expect(Markup.tokenText("\n") == "↵")
    #expect(Markup.tokenText("\t") == "⇥")
    #expect(Markup.tokenText("\r\n") == "␍↵")
    #expect(Markup.tokenText(" cat") == " cat")
    #expect(Markup.xhtml("<b>\u{1}</b>") == "&lt;b&gt;␁&lt;/b&gt;")
  }

  @Test("Bidirectional controls are shown by name, so text after U+202E does not read backwards")
  func bidi() {
    #expect(Markup.displayable("an \u{202E}evil\u{202C} plan") == "an ‹RLO›evil‹PDF› plan")
    #expect(Markup.tokenText("\u{2067}x\u{2069}") == "‹RLI›x‹PDI›")
    #expect(Markup.displayable("\u{200F}\u{061C}") == "‹RLM›‹ALM›")
    // Ordinary text from the same UTF-8 blocks is untouched.
    #expect(Markup.displayable("“quoted” — dash ‘single’ …") == "“quoted” — dash ‘single’ …")
    #expect(Markup.displayable("مرحبا") == "مرحبا")
  }

  @Test("jsString() is valid JSON that cannot end a script, open a comment or break a line")
  func jsString() throws {
    for text in SyntheticContent.hostile + ["plain", "quote \" backslash \\ slash /", "tab\tnew\nline", "\u{2028}\u{2029}", "東京😀"] {
      let literal = Markup.jsString(text)
      for forbidden in ["</", "<!--", "<", ">", "&", "\u{2028}", "\u{2029}", "\n", "\r"] {
        #expect(!literal.contains(forbidden), "\(literal) contains \(forbidden.debugDescription)")
      }
      let decoded = try JSONSerialization.jsonObject(with: Data("[\(literal)]".utf8)) as? [String]
      #expect(decoded == [Markup.displayable(text)])
    }
  }

  @Test("A token strip shades fired tokens by activation relative to the scale, titles them, marks the peak and leaves the rest plain text")
  func tokenStrip() {
    let window = ExampleWindow(tokens: [" the", "<0xE2>", "’s", "\n", " a", " <b>"], activations: [0, 0.5, 4, 0, 0, 8], peak: 5,
                               source: "s", document: 0, window: 0)
    let html = TokenStrip.html(window, scale: 8)
    #expect(html == #" the<span class="a1" title="0.50">&lt;0xE2&gt;</span><span class="a4" title="4.00">’s</span>↵ a"#
      + #"<span class="a8 pk" title="8.00"> &lt;b&gt;</span>"#)
  }

  @Test("A window with fewer activations than tokens shades the rest as zero; an unfired peak is still marked")
  func ragged() {
    let window = ExampleWindow(tokens: ["a", "b", "c"], activations: [1], peak: 0, source: "s", document: 0, window: 0)
    #expect(TokenStrip.html(window, scale: 1) == #"<span class="a8 pk" title="1.00">a</span>bc"#)
    let unfired = ExampleWindow(tokens: ["a", "b"], activations: [0, 0], peak: 1, source: "s", document: 0, window: 0)
    #expect(TokenStrip.html(unfired, scale: 1) == #"a<span class="pk">b</span>"#)
  }

  @Test("An unfired right-to-left piece keeps its own span, so the strip's per-token isolation still applies to it")
  func rightToLeft() {
    let window = ExampleWindow(tokens: [" the", " שלום", " مرحبا", " end"], activations: [0, 0, 0, 2], peak: 3,
                               source: "s", document: 0, window: 0)
    #expect(TokenStrip.html(window, scale: 2) == #" the<span> שלום</span><span> مرحبا</span><span class="a8 pk" title="2.00"> end</span>"#)
  }
}

